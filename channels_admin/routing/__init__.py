"""Routers for Channels: scope routing (Channels 2+) and message routing (Channels 1)."""

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
    "ProtocolTypeRouter",
    "RouteNotFound",
    "URLRouter",
    "get_default_application",
]
