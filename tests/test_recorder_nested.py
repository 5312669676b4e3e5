"""A nested router's miss, as the recorder tells it: one step, the miss among its candidates."""

from channels.generic.websocket import WebsocketConsumer
from channels.middleware import BaseMiddleware
from channels.testing import WebsocketCommunicator
from django.urls import path, re_path

from channels_admin.middleware import RoutingRecorderMiddleware
from channels_admin.registry import set_registry
from channels_admin.registry.memory import MemoryRegistry
from channels_admin.routing import URLRouter


class Accept(WebsocketConsumer):
    def connect(self):
        self.accept()


async def test_nested_miss_then_next_route_is_one_step_naming_the_miss():
    registry = MemoryRegistry()
    set_registry(registry)
    app = RoutingRecorderMiddleware(
        URLRouter(
            [
                path("a/", BaseMiddleware(URLRouter([path("one/", Accept.as_asgi())]))),
                re_path(r"^a/(?P<rest>.+)$", Accept.as_asgi()),
            ]
        )
    )
    communicator = WebsocketCommunicator(app, "/a/two")
    try:
        assert (await communicator.connect())[0]
        (record,) = (await registry.connections())["connections"]
    finally:
        await communicator.disconnect()
        set_registry(None)
    assert record["kwargs"] == {"rest": "two"} and record["outcome"] == "hit"
    (step,) = record["trace"]
    assert step["matched"] == 1
    nested_miss, hit = step["candidates"]
    assert nested_miss["reason"] == "nested miss" and nested_miss["pattern"] == "a/"
    assert nested_miss["nested"][0]["error"] == "No route found for path 'two'."
    assert hit["matched"] is True
