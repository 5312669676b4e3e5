"""Whether ``ASGI_APPLICATION`` is wrapped in ``RoutingRecorderMiddleware``, and if not, what to
say: the system check, the dashboard and the panel give the same sentence."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from channels_admin.introspection import describe
from channels_admin.routing import get_default_application

RECORDER = "channels_admin.middleware.RoutingRecorderMiddleware"
FIX = (
    "application = RoutingRecorderMiddleware(application)  "
    "# from channels_admin.middleware import RoutingRecorderMiddleware"
)

_checked = (None, None)  # (application, sentence): the tree is walked once per application


def not_recording():
    """The sentence saying why no connection is recorded, or None when the recorder is there
    (or ``ASGI_APPLICATION`` cannot be loaded: other pages and checks say why)."""
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
