from chat.views import index
from django.conf import settings
from django.contrib import admin
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.http import HttpResponse
from django.urls import include, path

urlpatterns = [
    path("", index, name="index"),
    # Browsers ask every page's site for an icon; the demo has none, and says so without a 404.
    path("favicon.ico", lambda request: HttpResponse(status=204)),
    path("admin/", admin.site.urls),
]

if "debug_toolbar" in settings.INSTALLED_APPS:
    urlpatterns.append(path("__debug__/", include("debug_toolbar.urls")))

# daphne serves no static files itself: Django serves them while DEBUG is on (the demo).
urlpatterns += staticfiles_urlpatterns()
