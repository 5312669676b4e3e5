"""``BaseConsumer``: Channels 1's class-based consumer, dispatching on the channel name."""

from channels_admin.generic import sessions
from channels_admin.routing.messages import MessageRouter, route_class


class BaseConsumer:
    """A class-based consumer: a new instance handles each message, calling the method that
    ``method_mapping`` names for the message's channel with ``(message, **kwargs)``.

    ``self.message`` and ``self.kwargs`` are the message and the route's keyword arguments.
    Wrap ``get_handler()`` to apply decorators to every handler.
    """

    method_mapping = {}
    channel_session = False
    channel_session_user = False

    def __init__(self, message, **kwargs):
        self.message = message
        self.kwargs = kwargs
        self.dispatch(message, **kwargs)

    @classmethod
    def channel_names(cls):
        return set(cls.method_mapping)

    @classmethod
    def as_route(cls, attrs=None, **filters):
        """A ``route_class()`` to this consumer, or to a subclass with ``attrs`` set."""
        if attrs is not None and not isinstance(attrs, dict):
            raise TypeError(f"as_route(attrs=...) takes a dict of class attributes, not {attrs!r}")
        if attrs:
            # Named after cls, in cls's module, so logs and route descriptions name the user's
            # consumer rather than this module.
            naming = {"__module__": cls.__module__, "__qualname__": cls.__qualname__}
            consumer = type(cls.__name__, (cls,), {**attrs, **naming})
        else:
            consumer = cls
        return route_class(consumer, **filters)

    @classmethod
    def as_asgi(cls, **initkwargs):
        """An ASGI application serving this consumer, for a ``URLRouter``; ``initkwargs`` set
        class attributes, and the ``url_route`` kwargs become the route kwargs."""
        for name in initkwargs:
            if not hasattr(cls, name):
                raise TypeError(
                    f"{cls.__name__}.as_asgi() got {name!r}, which is not an attribute of the "
                    "class; only existing attributes can be set."
                )
        application = MessageRouter([cls.as_route(attrs=initkwargs)])
        application.consumer_class = cls
        application.consumer_initkwargs = initkwargs
        return application

    def get_handler(self, message, **kwargs):
        handler = getattr(self, self.method_mapping[message.channel.name])
        if self.channel_session_user:
            return sessions.channel_session_user(handler)
        if self.channel_session:
            return sessions.channel_session(handler)
        return handler

    def dispatch(self, message, **kwargs):
        return self.get_handler(message, **kwargs)(message, **kwargs)
