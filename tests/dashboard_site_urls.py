"""A URLconf with a second, custom admin site carrying the dashboard (see test_dashboard_views)."""

from django.contrib import admin
from django.urls import path

from channels_admin.admin import register_dashboard

staff_site = admin.AdminSite(name="staffsite")
register_dashboard(staff_site)

urlpatterns = [
    path("staff/", staff_site.urls),
    path("admin/", admin.site.urls),
]
