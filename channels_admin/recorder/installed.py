"""Where the recorder stands in the project: whether ``ASGI_APPLICATION`` is wrapped in
``RoutingRecorderMiddleware`` (the system check, the dashboard and the panel give the same
sentence when it is not), and where the dashboard is mounted (its own requests are not
recorded)."""

from importlib import import_module

from django.conf import settings
from django.contrib.admin.sites import all_sites
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import NoReverseMatch, reverse

from channels_admin.introspection import describe
from channels_admin.routing import get_default_application

RECORDER = "channels_admin.middleware.RoutingRecorderMiddleware"
FIX = (
    "application = RoutingRecorderMiddleware(application)  "
    "# from channels_admin.middleware import RoutingRecorderMiddleware"
)

_checked = (None, None)  # (application, sentence): the tree is walked once per application


def not_recording():
    """Return the sentence saying why no connection is recorded, or None.

    None also when ``ASGI_APPLICATION`` cannot be loaded: other pages and checks say why.
    """
    global _checked
    try:
        application = get_default_application()
    except ImproperlyConfigured:
        return None
    if _checked[0] is not application:
        sentence = None
        if not _wraps_recorder(describe(application)):
            sentence = (
                f"ASGI_APPLICATION ({settings.ASGI_APPLICATION}) is not wrapped in "
                "RoutingRecorderMiddleware, so no connection is recorded and the lists stay "
                f"empty. Add this line at the end of your asgi.py: {FIX}"
            )
        _checked = (application, sentence)
    return _checked[1]


def _wraps_recorder(node):
    if node.get("dotted") == RECORDER:
        return True
    return any(_wraps_recorder(child) for child in node.get("children", ()))


_dashboards = None


def dashboard_prefixes():
    """Return the dashboard's URL prefix on every admin site (reversed once, then kept)."""
    global _dashboards
    if _dashboards is None:
        prefixes = []
        try:
            import_module(settings.ROOT_URLCONF)  # the URLconf makes the admin sites
        except Exception:  # a broken URLconf: requests say so; recording goes on
            pass
        for site in list(all_sites):
            try:
                prefixes.append(reverse(f"{site.name}:channels_admin_overview"))
            except NoReverseMatch:  # a site without the dashboard
                continue
            except Exception:  # a broken URLconf: requests say so; recording goes on
                continue
        _dashboards = tuple(prefixes)
    return _dashboards


@receiver(setting_changed)
def _forget(setting, **kwargs):
    global _dashboards, _checked
    if setting in ("ROOT_URLCONF", "ASGI_APPLICATION"):
        _dashboards = None
        _checked = (None, None)
