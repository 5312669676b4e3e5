"""Channels 1 generic consumers: from route_class() in a MessageRouter, and as_asgi()."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.urls import path

from channels_admin.generic import (
    BaseConsumer,
    JsonWebsocketConsumer,
    WebsocketConsumer,
    WebsocketDemultiplexer,
)
from channels_admin.generic.sessions import channel_session_user, channel_session_user_from_http
from channels_admin.introspection.names import dotted_path
from channels_admin.routing import MessageRouter, URLRouter, route, route_class
from tests.channel_worker import serve_one

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture(autouse=True)
def fresh_layer():
    with override_settings(CHANNEL_LAYERS=IN_MEMORY):
        yield get_channel_layer()


async def connected(app, path="/", **kwargs):
    communicator = WebsocketCommunicator(app, path, **kwargs)
    accepted, _ = await communicator.connect()
    assert accepted
    return communicator


class Counter(BaseConsumer):
    """Records every instance, so a test can see one was made per message."""

    method_mapping = {"websocket.connect": "hello", "websocket.receive": "count"}
    seen = []

    def hello(self, message, **kwargs):
        self.seen.append(self)
        message.reply_channel.send({"accept": True})

    def count(self, message, **kwargs):
        self.seen.append(self)
        self.message.reply_channel.send({"text": f"{message['text']} {self.kwargs}"})


async def test_base_consumer_dispatches_on_method_mapping_with_a_new_instance_per_message():
    Counter.seen = []
    app = MessageRouter([route_class(Counter, path=r"^/count/(?P<n>\d+)/$")])
    assert Counter.channel_names() == {"websocket.connect", "websocket.receive"}
    communicator = await connected(app, "/count/3/")
    await communicator.send_to(text_data="a")
    assert await communicator.receive_from() == "a {'n': '3'}"
    await communicator.send_to(text_data="b")
    assert await communicator.receive_from() == "b {'n': '3'}"
    await communicator.disconnect()
    first, second, third = Counter.seen
    assert first is not second and second is not third
    assert third.message["text"] == "b"


class Shouting(Counter):
    def get_handler(self, message, **kwargs):
        handler = super().get_handler(message, **kwargs)

        def shout(message, **kwargs):
            if "text" in message:
                message["text"] = message["text"].upper()
            return handler(message, **kwargs)

        return shout


async def test_get_handler_is_where_decorators_wrap_every_handler():
    app = MessageRouter([route_class(Shouting)])
    communicator = await connected(app)
    await communicator.send_to(text_data="quiet")
    assert await communicator.receive_from() == "QUIET {}"
    await communicator.disconnect()


async def test_as_route_sets_attributes_and_filters():
    class Greeter(WebsocketConsumer):
        greeting = "hello"

        def receive(self, text=None, bytes=None, **kwargs):
            self.send(text=f"{self.greeting} {kwargs['name']}")

    app = MessageRouter(
        [Greeter.as_route(attrs={"greeting": "hi"}, path=r"^/greet/(?P<name>\w+)/$")]
    )
    communicator = await connected(app, "/greet/ann/")
    await communicator.send_to(text_data="?")
    assert await communicator.receive_from() == "hi ann"
    await communicator.disconnect()
    assert (await WebsocketCommunicator(app, "/other/").connect()) == (False, 4404)
    with pytest.raises(TypeError, match="dict of class attributes"):
        Greeter.as_route(attrs=["greeting"])


def test_as_route_with_attrs_names_the_users_consumer():
    """Logs, route descriptions and the dashboard name the consumer by module and qualname."""

    class Greeter(WebsocketConsumer):
        greeting = "hello"

    routed = Greeter.as_route(attrs={"greeting": "hi"})
    assert repr(routed) == f"route_class({__name__}.Greeter)"
    assert dotted_path(routed.consumer) == dotted_path(Greeter)


class Room(WebsocketConsumer):
    slight_ordering = True  # accepted; a MessageRouter hands events over in order

    def connection_groups(self, room, **kwargs):
        return [f"room-{room}"]

    def receive(self, text=None, bytes=None, **kwargs):
        if text == "close":
            self.close(4009)
        elif text is not None:
            self.group_send(self.connection_groups(**kwargs)[0], text=f"{self.path} {text}")
        else:
            self.send(bytes=bytes[::-1])


room_app = MessageRouter([route_class(Room, path=r"^/room/(?P<room>\w+)/$")])


async def test_websocket_consumer_joins_and_leaves_its_connection_groups(fresh_layer):
    ann = await connected(room_app, "/room/lobby/")
    bob = await connected(room_app, "/room/lobby/")
    await ann.send_to(text_data="hi")
    assert await ann.receive_from() == "/room/lobby/ hi"
    assert await bob.receive_from() == "/room/lobby/ hi"
    await bob.disconnect()
    assert len(fresh_layer.groups["room-lobby"]) == 1
    await ann.disconnect()
    assert "room-lobby" not in fresh_layer.groups


async def test_websocket_consumer_sends_bytes_and_closes_with_a_code():
    communicator = await connected(room_app, "/room/lobby/")
    await communicator.send_to(bytes_data=b"abc")
    assert await communicator.receive_from() == b"cba"
    await communicator.send_to(text_data="close")
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 4009}
    await communicator.disconnect()


class Echo(JsonWebsocketConsumer):
    groups = ["json-watchers"]

    def receive(self, content, **kwargs):
        if content == {"shout": True}:
            self.group_send("json-watchers", {"everyone": kwargs})
        else:
            self.send({"echo": content})

    @classmethod
    def encode_json(cls, content):
        return json.dumps(content, sort_keys=True)


async def test_json_consumer_round_trips_and_group_sends_json():
    app = URLRouter([path("json/<slug:name>/", Echo.as_asgi())])
    communicator = await connected(app, "/json/ann/")
    watcher = await connected(app, "/json/bob/")
    await communicator.send_json_to({"b": 1, "a": [2]})
    assert await communicator.receive_from() == '{"echo": {"a": [2], "b": 1}}'
    await communicator.send_json_to({"shout": True})
    assert await watcher.receive_json_from() == {"everyone": {"name": "ann"}}
    await communicator.disconnect()
    await watcher.disconnect()


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        ({"text_data": "{not json"}, "invalid JSON"),
        ({"text_data": "[" * 100_000}, "too deeply nested"),  # RecursionError in the decoder
        ({"bytes_data": b"{}"}, "binary frame"),
    ],
)
async def test_json_consumer_answers_bad_frames_with_an_error_and_stays_open(frame, error):
    communicator = await connected(MessageRouter([route_class(Echo)]))
    await communicator.send_to(**frame)
    assert error in (await communicator.receive_json_from())["error"]
    await communicator.send_json_to([1])
    assert await communicator.receive_json_from() == {"echo": [1]}
    await communicator.disconnect()


async def test_as_asgi_passes_url_route_kwargs_and_checks_attributes():
    app = URLRouter([path("room/<slug:room>/", Room.as_asgi(groups=None))])
    communicator = await connected(app, "/room/kitchen/")
    await communicator.send_to(text_data="via url router")
    assert await communicator.receive_from() == "/room/kitchen/ via url router"
    await communicator.disconnect()
    assert Room.as_asgi().consumer_class is Room
    with pytest.raises(TypeError, match="not an attribute"):
        Room.as_asgi(gropus=["typo"])


class Stats(JsonWebsocketConsumer):
    def connection_groups(self, **kwargs):
        return ["stats"]

    def connect(self, message, multiplexer, **kwargs):
        multiplexer.send({"connected": kwargs})

    def receive(self, content, multiplexer, **kwargs):
        self.send({"stats": content["ask"], "stream": multiplexer.stream})

    def disconnect(self, message, multiplexer, **kwargs):
        multiplexer.group_send("stats", "stats", {"left": multiplexer.stream})


class Echoes(JsonWebsocketConsumer):
    def connect(self, message, multiplexer, **kwargs):
        pass

    def receive(self, content, multiplexer, **kwargs):
        multiplexer.send({"echo": content})


class Demultiplexer(WebsocketDemultiplexer):
    consumers = {"stats": Stats, "echo": Echoes}
    mapping = {"intval": "binding.intval"}


demux_app = MessageRouter([route_class(Demultiplexer, path=r"^/(?P<team>\w+)/$")])


async def test_demultiplexer_hands_streams_to_consumers():
    communicator = await connected(demux_app, "/red/")
    assert await communicator.receive_json_from() == {
        "stream": "stats",
        "payload": {"connected": {"team": "red"}},
    }
    await communicator.send_json_to({"stream": "echo", "payload": {"x": 1}})
    assert await communicator.receive_json_from() == {
        "stream": "echo",
        "payload": {"echo": {"x": 1}},
    }
    await communicator.send_json_to({"stream": "stats", "payload": {"ask": "users"}})
    assert await communicator.receive_json_from() == {
        "stream": "stats",
        "payload": {"stats": "users", "stream": "stats"},
    }
    watcher = await connected(demux_app, "/blue/")
    await watcher.receive_json_from()
    await communicator.disconnect()  # every consumer sees the disconnect
    assert await watcher.receive_json_from() == {"stream": "stats", "payload": {"left": "stats"}}
    await watcher.disconnect()


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        ('{"stream": "nope", "payload": {}}', "unknown stream 'nope'"),
        ('{"stream": "echo", "payload": [1]}', "payload of stream 'echo' must be an object"),
        ('{"payload": {}}', 'a multiplexed frame is {"stream"'),
        ("[1, 2]", 'a multiplexed frame is {"stream"'),
        ("{{", "invalid JSON"),
    ],
)
async def test_demultiplexer_answers_bad_frames_with_an_error_and_stays_open(frame, error):
    communicator = await connected(demux_app, "/red/")
    await communicator.receive_json_from()  # the stats stream's hello
    await communicator.send_to(text_data=frame)
    assert error in (await communicator.receive_json_from())["error"]
    await communicator.send_json_to({"stream": "echo", "payload": {"still": "open"}})
    assert (await communicator.receive_json_from())["payload"] == {"echo": {"still": "open"}}
    await communicator.disconnect()


def intval_worker(message, **kwargs):
    message.reply_channel.send(
        {"text": json.dumps({"stream": "intval", "payload": {"double": message["value"] * 2}})}
    )


async def test_demultiplexer_mapping_forwards_to_a_channel_a_worker_answers(fresh_layer):
    communicator = await connected(demux_app, "/red/")
    await communicator.receive_json_from()
    await communicator.send_json_to({"stream": "intval", "payload": {"value": 21}})
    worker_app = MessageRouter([route("binding.intval", intval_worker)])
    worker = await serve_one(worker_app, fresh_layer, "binding.intval")
    assert await communicator.receive_json_from() == {
        "stream": "intval",
        "payload": {"double": 42},
    }
    worker.stop()
    await communicator.disconnect()


async def test_demultiplexer_mapping_never_lets_the_client_pick_the_message_type(fresh_layer):
    """A Channels 2+ worker dispatches on "type"; a payload's own "type" must not choose it."""
    communicator = await connected(demux_app, "/red/")
    await communicator.receive_json_from()
    payload = {"type": "worker.delete_everything", "value": 1}
    await communicator.send_json_to({"stream": "intval", "payload": payload})
    forwarded = await fresh_layer.receive("binding.intval")
    assert forwarded["type"] == "binding.intval" and forwarded["value"] == 1
    await communicator.disconnect()


class WhoAmI(WebsocketConsumer):
    http_user = True

    def connect(self, message, **kwargs):
        message.channel_session["visits"] = 0
        message.reply_channel.send({"accept": True})

    def receive(self, text=None, bytes=None, **kwargs):
        self.message.channel_session["visits"] += 1
        visits = self.message.channel_session["visits"]
        self.send(text=f"{self.message.user.get_username() or 'anonymous'} {visits}")


class WhoAmIWithSession(WhoAmI):
    http_user = False
    http_user_and_session = True

    def receive(self, text=None, bytes=None, **kwargs):
        self.send(text=f"{self.message.user.get_username()} {self.message.http_session['theme']}")


def login_cookie(username):
    """Log a real user in through Django's auth and session store; return the Cookie header."""
    user = User.objects.create_user(username, password="secret-for-tests")
    client = Client()
    client.force_login(user)
    session = client.session
    session["theme"] = "dark"
    session.save()
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return [(b"cookie", cookie.encode())]


@pytest.mark.usefixtures("transactional_db")
async def test_http_user_reads_the_user_from_the_session_cookie():
    headers = await sync_to_async(login_cookie)("ann")
    app = MessageRouter([route_class(WhoAmI)])
    ann = await connected(app, headers=headers)
    stranger = await connected(app)
    await ann.send_to(text_data="?")
    assert await ann.receive_from() == "ann 1"
    await stranger.send_to(text_data="?")
    assert await stranger.receive_from() == "anonymous 1"
    await ann.send_to(text_data="?")
    assert await ann.receive_from() == "ann 2"  # the channel session lasts the connection
    await ann.disconnect()
    await stranger.disconnect()


@pytest.mark.usefixtures("transactional_db")
async def test_http_user_and_session_also_gives_the_http_session():
    headers = await sync_to_async(login_cookie)("bob")
    communicator = await connected(
        MessageRouter([route_class(WhoAmIWithSession)]), headers=headers
    )
    await communicator.send_to(text_data="?")
    assert await communicator.receive_from() == "bob dark"
    await communicator.disconnect()


@channel_session_user_from_http
def user_connect(message, **kwargs):
    message.channel_session["greeting"] = f"hello {message.user.get_username()}"
    message.reply_channel.send({"accept": True})


@channel_session_user
async def user_receive(message, **kwargs):
    await message.reply_channel.asend({"text": message.channel_session["greeting"]})


@pytest.mark.usefixtures("transactional_db")
async def test_session_decorators_on_function_consumers_sync_and_async():
    headers = await sync_to_async(login_cookie)("cy")
    app = MessageRouter(
        [route("websocket.connect", user_connect), route("websocket.receive", user_receive)]
    )
    communicator = await connected(app, headers=headers)
    await communicator.send_to(text_data="?")
    assert await communicator.receive_from() == "hello cy"
    await communicator.disconnect()
