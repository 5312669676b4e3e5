"""Channels 1 routing, mounted in ``chat.routing`` under ``ws/legacy/``.

Filters see the full path, leading slash included.
"""

from channels_admin.routing import include, route, route_class
from legacy import consumers

chat_routing = [
    route("websocket.connect", consumers.chat_connect),
    route("websocket.receive", consumers.chat_message),
    route("websocket.disconnect", consumers.chat_disconnect),
]

channel_routing = [
    include(chat_routing, path=r"^/ws/legacy/chat/(?P<room>[-a-zA-Z0-9_]{1,50})/$"),
    route_class(consumers.Streams, path=r"^/ws/legacy/streams/$"),
]
