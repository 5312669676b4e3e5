"""An ASGI application nobody wrapped in RoutingRecorderMiddleware (the check warns)."""

from channels_admin.routing import ProtocolTypeRouter, URLRouter
from tests.routing_modules.ws_only import websocket_urlpatterns

application = ProtocolTypeRouter({"websocket": URLRouter(websocket_urlpatterns)})
