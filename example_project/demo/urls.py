from chat.views import index
from django.contrib import admin
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import path

urlpatterns = [
    path("", index, name="index"),
    path("admin/", admin.site.urls),
]
# daphne serves no static files itself: let Django serve them while DEBUG is on (the demo).
urlpatterns += staticfiles_urlpatterns()
