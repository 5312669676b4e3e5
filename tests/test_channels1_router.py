"""Channels 1.1.8's Router API: add_route(), check_default(), and any callable as a consumer."""

import pytest
from channels.testing import WebsocketCommunicator
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from channels_admin.generic import WebsocketConsumer
from channels_admin.messages import Message
from channels_admin.routing import MessageRouter, Router, include, route, route_class
from channels_admin.testing import ChannelTestCase, WSClient, apply_routes


def consumer_a(message, **kwargs):
    pass


def message(channel, **content):
    return Message(content, channel, None)


class Chat:
    """Consumers as bound methods of an instance that holds state."""

    def __init__(self, greeting):
        self.greeting = greeting

    def connect(self, message, **kwargs):
        message.reply_channel.send({"accept": True})

    def receive(self, message, **kwargs):
        message.reply_channel.send({"text": f"{self.greeting} {message['text']}"})

    async def areceive(self, message, **kwargs):
        await message.reply_channel.asend({"text": f"{self.greeting} {message['text']}"})


class Room(WebsocketConsumer):
    pass


def test_add_route_appends_after_every_route_and_updates_channels():
    chat = Chat("hi")
    router = Router([route("test.a", consumer_a, room="^red$")])
    assert router.channels == {"test.a"}
    router.add_route(route("test.b", consumer_a))
    router.add_route(route("test.a", chat.receive))
    assert router.channels == {"test.a", "test.b"}
    assert router.match(message("test.b")) == (consumer_a, {})
    assert router.match(message("test.a", room="red")) == (consumer_a, {})
    assert router.match(message("test.a", room="blue")) == (chat.receive, {})


def test_add_route_takes_routing_objects_only():
    with pytest.raises(ImproperlyConfigured, match="is not a routing object"):
        Router([]).add_route(consumer_a)


def test_a_message_router_serves_routes_added_later():
    app = MessageRouter([route("test.a", consumer_a)])
    app.router.add_route(route_class(Room))
    assert "websocket.connect" in app.channels


def test_check_default_accepts_websockets_and_ignores_their_frames():
    router = Router([route("websocket.receive", consumer_a, path="^/mine/$")])
    router.check_default()
    assert router.match(message("websocket.receive", path="/mine/")) == (consumer_a, {})
    connect, _ = router.match(message("websocket.connect", path="/other/"))
    ignore, _ = router.match(message("websocket.receive", path="/other/"))
    assert router.match(message("websocket.disconnect", path="/other/"))[0] is ignore
    assert router.match(message("http.request", path="/")) is None
    router.check_default(http_consumer=consumer_a)
    assert router.match(message("http.request", path="/")) == (consumer_a, {})
    assert connect is not ignore


async def test_check_default_connections_are_accepted_on_asgi():
    app = MessageRouter([])
    app.router.check_default()
    communicator = WebsocketCommunicator(app, "/anything/")
    assert (await communicator.connect())[0]
    await communicator.send_to(text_data="ignored")
    assert await communicator.receive_nothing()
    await communicator.disconnect()


def test_bound_methods_route_and_are_named_by_their_class():
    chat = Chat("hello")
    routed = route("websocket.receive", chat.receive, path="^/chat/$")
    assert repr(routed) == f"route('websocket.receive', {__name__}.Chat.receive, path='^/chat/$')"
    assert routed.match(message("websocket.receive", path="/chat/")) == (chat.receive, {})
    included = include([route("websocket.receive", chat.receive, path="^/$")], path="^/chat")
    assert included.match(message("websocket.receive", path="/chat/")) == (chat.receive, {})


def test_route_class_takes_a_consumer_by_dotted_path_or_as_an_object_with_channel_names():
    class Names:
        def channel_names(self):
            return {"test.names"}

        def __call__(self, message, **kwargs):
            pass

    instance = Names()
    routed = route_class(instance)
    assert routed.channel_names() == {"test.names"}
    assert repr(routed) == f"route_class({__name__}.Names)"
    assert route_class(f"{__name__}.Room").consumer is Room


async def test_bound_method_consumers_sync_and_async_on_asgi():
    chat = Chat("hi")
    for receive in (chat.receive, chat.areceive):
        app = MessageRouter(
            [route("websocket.connect", chat.connect), route("websocket.receive", receive)]
        )
        communicator = WebsocketCommunicator(app, "/")
        assert (await communicator.connect())[0]
        await communicator.send_to(text_data="there")
        assert await communicator.receive_from() == "hi there"
        await communicator.disconnect()


@override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cache")
class BoundMethodClientTests(ChannelTestCase):
    def test_the_test_client_runs_bound_method_consumers(self):
        chat = Chat("hey")
        routes = [
            route("websocket.connect", chat.connect),
            route("websocket.receive", chat.receive),
        ]
        with apply_routes(routes):
            client = WSClient()
            client.send_and_consume("websocket.connect", path="/")
            client.send_and_consume("websocket.receive", text="you")
            assert client.receive(json=False) == "hey you"
