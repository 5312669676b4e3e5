from channels.sessions import SessionMiddlewareStack
from django.urls import path, re_path
from rooms.consumers import ApiConsumer

from channels_admin.routing import MessageRouter, URLRouter
from chat.consumers import ChatConsumer, NumberConsumer

websocket_urlpatterns = [
    path("ws/chat/<slug:room>/", ChatConsumer.as_asgi()),
    path("ws/api/", ApiConsumer.as_asgi()),
    # A router nested under middleware: stock Channels cannot route this (channels#1428).
    path(
        "ws/number/<int:number>/",
        SessionMiddlewareStack(URLRouter([path("page/<int:page>/", NumberConsumer.as_asgi())])),
    ),
    # Channels 1 routing (legacy/routing.py); its filters see the full path.
    re_path(r"^ws/legacy/", MessageRouter("legacy.routing.channel_routing")),
]
