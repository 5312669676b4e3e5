from channels.sessions import SessionMiddlewareStack
from django.urls import path
from rooms.consumers import ApiConsumer

from channels_admin.routing import URLRouter
from chat.consumers import ChatConsumer, NumberConsumer

websocket_urlpatterns = [
    path("ws/chat/<slug:room>/", ChatConsumer.as_asgi()),
    path("ws/api/", ApiConsumer.as_asgi()),
    # A router nested under middleware: stock Channels cannot route this (channels#1428).
    path(
        "ws/number/<int:number>/",
        SessionMiddlewareStack(URLRouter([path("page/<int:page>/", NumberConsumer.as_asgi())])),
    ),
]
