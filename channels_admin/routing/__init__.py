"""Routers for Channels: scope routing (Channels 2+) and message routing (Channels 1)."""

from channels_admin.routing.messages import (
    MessageRouter,
    Router,
    include,
    route,
    route_class,
)
from channels_admin.routing.scope import (
    ChannelNameRouter,
    Match,
    ProtocolTypeRouter,
    RouteNotFound,
    URLRouter,
    get_default_application,
)

__all__ = [
    "ChannelNameRouter",
    "Match",
    "MessageRouter",
    "ProtocolTypeRouter",
    "RouteNotFound",
    "Router",
    "URLRouter",
    "get_default_application",
    "include",
    "route",
    "route_class",
]
