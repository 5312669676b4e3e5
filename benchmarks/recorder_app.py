"""The echo application the recorder benchmark serves, without and with the recorder.

Both share one tree: a ProtocolTypeRouter and a URLRouter in front of a stock
AsyncWebsocketConsumer that has a channel layer (so channel attribution runs too). The
recorder keeps each connection's frames when ``RECORDER_EVENTS=1`` is in the environment,
not otherwise (whatever the demo's DEBUG says).
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")

import django  # noqa: E402
from django.conf import settings  # noqa: E402

settings.CHANNELS_ADMIN = {
    **getattr(settings, "CHANNELS_ADMIN", {}),
    "RECORD_EVENTS": os.environ.get("RECORDER_EVENTS") == "1",
}
django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from django.urls import path  # noqa: E402

from channels_admin.middleware import RoutingRecorderMiddleware  # noqa: E402
from channels_admin.routing import ProtocolTypeRouter, URLRouter  # noqa: E402


class Echo(AsyncWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=text_data, bytes_data=bytes_data)


plain = ProtocolTypeRouter(
    {
        "websocket": URLRouter(
            [path("other/<int:n>/", Echo.as_asgi()), path("echo/<slug:room>/", Echo.as_asgi())]
        )
    }
)
recorded = RoutingRecorderMiddleware(plain)
