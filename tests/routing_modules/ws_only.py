"""A routing module in the Channels convention, for include("...")."""

from django.urls import path

from tests.routing_modules.apps import Leaf

websocket_urlpatterns = [path("room/<int:pk>/", Leaf("module-room"))]
