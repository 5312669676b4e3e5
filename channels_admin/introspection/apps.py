"""What kind of ASGI application an object is, without calling it."""

from django.core.handlers.asgi import ASGIHandler

WRAPPING_ATTRIBUTES = ("inner", "application", "__wrapped__")


def consumer_class(app):
    """The consumer class behind ``Consumer.as_asgi()`` (or a consumer class itself), or None."""
    cls = getattr(app, "consumer_class", None)
    if isinstance(cls, type):
        return cls
    if isinstance(app, type) and callable(getattr(app, "as_asgi", None)):
        return app
    return None


def is_django(app):
    return isinstance(app, ASGIHandler)


def wrapped_app(app):
    """The application a middleware wraps (``.inner``, ``.application``, ``__wrapped__``)."""
    if isinstance(app, type) or consumer_class(app) is not None:
        return None  # a consumer is a leaf, whatever its attributes
    for attribute in WRAPPING_ATTRIBUTES:
        inner = getattr(app, attribute, None)
        if inner is not None and inner is not app:
            return inner
    return None


def leaf_kind(app):
    """``consumer``, ``django`` or ``app`` (anything else that serves a connection)."""
    if consumer_class(app) is not None:
        return "consumer"
    if is_django(app):
        return "django"
    return "app"
