"""Channels 1's generic consumers, usable from ``route_class()`` and as ``Consumer.as_asgi()``."""

from channels_admin.generic.base import BaseConsumer
from channels_admin.generic.multiplex import WebsocketDemultiplexer, WebsocketMultiplexer
from channels_admin.generic.websockets import JsonWebsocketConsumer, WebsocketConsumer

__all__ = [
    "BaseConsumer",
    "JsonWebsocketConsumer",
    "WebsocketConsumer",
    "WebsocketDemultiplexer",
    "WebsocketMultiplexer",
]
