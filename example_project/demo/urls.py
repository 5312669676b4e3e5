from chat.views import index
from django.conf import settings
from django.contrib import admin
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import include, path

urlpatterns = [
    path("", index, name="index"),
    path("admin/", admin.site.urls),
]

if "debug_toolbar" in settings.INSTALLED_APPS:
    urlpatterns.append(path("__debug__/", include("debug_toolbar.urls")))

# Static files (the toolbar's, the dashboard's htmx) when DEBUG is on and daphne serves alone.
urlpatterns += staticfiles_urlpatterns()
