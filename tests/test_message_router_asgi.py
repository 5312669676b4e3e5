"""MessageRouter: Channels 1 consumers serving real ASGI connections, in process."""

import asyncio
import logging
import threading

import pytest
from channels.layers import get_channel_layer
from channels.testing import ApplicationCommunicator, WebsocketCommunicator
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import path, re_path

from channels_admin.messages import Channel, Group
from channels_admin.routing import MessageRouter, URLRouter, include, route
from channels_admin.routing.trace import current_trace
from tests.channel_worker import serve_one

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
ROUTER_LOGGER = "channels_admin.routing.messages"


@pytest.fixture(autouse=True)
def fresh_layer():
    with override_settings(CHANNEL_LAYERS=IN_MEMORY):
        yield get_channel_layer()


def accept(message, **kwargs):
    message.reply_channel.send({"accept": True})


def echo(message, **kwargs):
    message.reply_channel.send({"text": message["text"]})


def chat_connect(message, room):
    Group(f"room-{room}").add(message.reply_channel)
    message.reply_channel.send({"accept": True})


def chat_receive(message, room):
    Group(f"room-{room}").send({"text": f"{room}: {message['text']}"})


def chat_disconnect(message, room):
    Group(f"room-{room}").discard(message.reply_channel)


chat_routing = [
    route("websocket.connect", chat_connect),
    route("websocket.receive", chat_receive),
    route("websocket.disconnect", chat_disconnect),
]
chat = MessageRouter([include(chat_routing, path=r"^/chat/(?P<room>\w+)/$")])


async def connected(app, path, **kwargs):
    communicator = WebsocketCommunicator(app, path, **kwargs)
    accepted, _ = await communicator.connect()
    assert accepted
    return communicator


async def test_group_chat_members_see_each_others_messages():
    ann = await connected(chat, "/chat/lobby/")
    bob = await connected(chat, "/chat/lobby/")
    other_room = await connected(chat, "/chat/kitchen/")
    await ann.send_to(text_data="hi from ann")
    assert await ann.receive_from() == "lobby: hi from ann"
    assert await bob.receive_from() == "lobby: hi from ann"
    await bob.send_to(text_data="hi from bob")
    assert await ann.receive_from() == "lobby: hi from bob"
    assert await bob.receive_from() == "lobby: hi from bob"
    await other_room.send_to(text_data="elsewhere")
    assert await other_room.receive_from() == "kitchen: elsewhere"
    assert await ann.receive_nothing()
    for communicator in (ann, bob, other_room):
        await communicator.disconnect()


async def test_disconnect_consumer_runs_and_leaves_the_group(fresh_layer):
    ann = await connected(chat, "/chat/lobby/")
    bob = await connected(chat, "/chat/lobby/")
    await bob.disconnect()
    await ann.send_to(text_data="anyone?")
    assert await ann.receive_from() == "lobby: anyone?"
    assert len(fresh_layer.groups["room-lobby"]) == 1
    await ann.disconnect()
    assert "room-lobby" not in fresh_layer.groups


async def test_message_content_is_the_scope_plus_the_event():
    seen = []

    def record(message, **kwargs):
        seen.append((message.channel.name, dict(message.content)))
        if message.channel.name == "websocket.connect":
            message.reply_channel.send({"accept": True})

    app = MessageRouter([route(["websocket.connect", "websocket.receive"], record)])
    communicator = WebsocketCommunicator(app, "/feed/?page=2", headers=[(b"x-test", b"1")])
    await communicator.connect()
    await communicator.send_to(bytes_data=b"\x00")
    await communicator.disconnect()
    (connect_channel, connect), (receive_channel, receive) = seen
    assert (connect_channel, receive_channel) == ("websocket.connect", "websocket.receive")
    assert connect["path"] == "/feed/"
    assert connect["query_string"] == b"page=2"
    assert connect["headers"] == [(b"x-test", b"1")]
    assert connect["reply_channel"] == receive["reply_channel"]
    assert (connect["order"], receive["order"]) == (0, 1)
    assert receive["bytes"] == b"\x00" and "text" not in receive and "type" not in receive


def traced(app, trace):
    """What the recorder middleware does: a trace list in the connection's context."""

    async def recording(scope, receive, send):
        current_trace.set(trace)
        await app(scope, receive, send)

    return recording


async def test_unrouted_connect_is_rejected_with_4404_and_the_miss_is_traced():
    trace = []
    communicator = WebsocketCommunicator(traced(chat, trace), "/nowhere/")
    assert await communicator.connect() == (False, 4404)
    router, scope, match = trace[0]
    assert router is chat and scope["path"] == "/nowhere/" and match is None


async def test_routed_messages_are_traced_with_consumer_and_kwargs():
    trace = []
    communicator = await connected(traced(chat, trace), "/chat/lobby/")
    await communicator.disconnect()
    assert [step[2] for step in trace] == [
        (chat_connect, {"room": "lobby"}),
        (chat_disconnect, {"room": "lobby"}),
    ]


async def test_unrouted_receive_is_dropped_and_logged_and_the_connection_stays(caplog):
    app = MessageRouter(
        [route("websocket.connect", accept), route("websocket.receive", echo, text=r"^echo")]
    )
    communicator = await connected(app, "/")
    with caplog.at_level(logging.INFO, logger=ROUTER_LOGGER):
        await communicator.send_to(text_data="not routed")
        await communicator.send_to(text_data="echo me")
        assert await communicator.receive_from() == "echo me"
    assert "No route for websocket.receive on '/': message dropped" in caplog.text
    await communicator.disconnect()


async def test_a_failing_consumer_is_logged_and_the_connection_goes_on(caplog):
    def fail(message, **kwargs):
        if message["text"] == "boom":
            raise RuntimeError("consumer bug")
        echo(message)

    app = MessageRouter([route("websocket.connect", accept), route("websocket.receive", fail)])
    communicator = await connected(app, "/")
    with caplog.at_level(logging.ERROR, logger=ROUTER_LOGGER):
        await communicator.send_to(text_data="boom")
        await communicator.send_to(text_data="still here")
        assert await communicator.receive_from() == "still here"
    assert "consumer bug" in caplog.text
    await communicator.disconnect()


async def test_a_connect_consumer_failing_before_answering_rejects_with_1011(caplog):
    def fail(message, **kwargs):
        raise RuntimeError("cannot connect")

    app = MessageRouter([route("websocket.connect", fail)])
    with caplog.at_level(logging.ERROR, logger=ROUTER_LOGGER):
        assert await WebsocketCommunicator(app, "/").connect() == (False, 1011)
    assert "cannot connect" in caplog.text


async def test_sync_consumers_run_in_a_thread_and_async_ones_are_awaited():
    loop_thread = threading.current_thread()
    threads = {}

    def sync_connect(message, **kwargs):
        threads["sync"] = threading.current_thread()
        message.reply_channel.send({"accept": True})

    async def async_receive(message, **kwargs):
        threads["async"] = threading.current_thread()
        await message.reply_channel.asend({"text": "async " + message["text"]})

    app = MessageRouter(
        [route("websocket.connect", sync_connect), route("websocket.receive", async_receive)]
    )
    communicator = await connected(app, "/")
    await communicator.send_to(text_data="hi")
    assert await communicator.receive_from() == "async hi"
    assert threads["sync"] is not loop_thread
    assert threads["async"] is loop_thread
    await communicator.disconnect()


async def test_events_of_one_connection_are_handled_in_order():
    def numbered(message, **kwargs):
        message.reply_channel.send({"text": f"{message['order']}:{message['text']}"})

    app = MessageRouter([route("websocket.connect", accept), route("websocket.receive", numbered)])
    communicator = await connected(app, "/")
    for n in range(20):
        await communicator.send_to(text_data=str(n))
    received = [await communicator.receive_from() for _ in range(20)]
    assert received == [f"{n + 1}:{n}" for n in range(20)]
    await communicator.disconnect()


ACCEPT = {"type": "websocket.accept"}


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ({"text": "hi"}, [ACCEPT, {"type": "websocket.send", "text": "hi"}]),
        (
            {"accept": True, "bytes": b"\x01"},
            [ACCEPT, {"type": "websocket.send", "bytes": b"\x01"}],
        ),
        ({"accept": False}, [{"type": "websocket.close", "code": 1000}]),
        ({"close": 4001}, [{"type": "websocket.close", "code": 4001}]),
        (
            {"text": "bye", "close": True},
            [
                ACCEPT,
                {"type": "websocket.send", "text": "bye"},
                {"type": "websocket.close", "code": 1000},
            ],
        ),
    ],
)
async def test_channels_1_reply_dicts_become_asgi_events(reply, expected):
    def answer(message, **kwargs):
        message.reply_channel.send(reply)

    app = MessageRouter([route("websocket.connect", answer)])
    communicator = ApplicationCommunicator(app, {"type": "websocket", "path": "/", "headers": []})
    await communicator.send_input({"type": "websocket.connect"})
    assert [await communicator.receive_output() for _ in expected] == expected
    await communicator.send_input({"type": "websocket.disconnect", "code": 1000})
    await communicator.wait()


async def test_a_close_code_after_accept_reaches_the_client():
    def close_on_receive(message, **kwargs):
        message.reply_channel.send({"close": 4003})

    app = MessageRouter(
        [route("websocket.connect", accept), route("websocket.receive", close_on_receive)]
    )
    communicator = await connected(app, "/")
    await communicator.send_to(text_data="close please")
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 4003}
    await communicator.disconnect()


async def test_an_invalid_reply_is_an_error_in_the_consumer(caplog):
    def bad(message, **kwargs):
        message.reply_channel.send({"txt": "typo"})

    app = MessageRouter([route("websocket.connect", accept), route("websocket.receive", bad)])
    communicator = await connected(app, "/")
    with caplog.at_level(logging.ERROR, logger=ROUTER_LOGGER):
        await communicator.send_to(text_data="x")
        await communicator.send_to(text_data="y")
        assert await communicator.receive_nothing()
    assert "accept, text, bytes or close" in caplog.text
    await communicator.disconnect()


async def test_group_api_is_sync_in_threads_and_async_in_the_loop(fresh_layer):
    channel = await fresh_layer.new_channel()
    group = Group("watchers")
    await group.aadd(Channel(channel))
    await group.asend({"text": "async"})
    assert (await fresh_layer.receive(channel))["text"] == "async"
    with pytest.raises(RuntimeError, match=r"await \.\.\.asend\(\)"):
        group.send({"text": "sync in the loop"})

    def from_a_thread():
        group.send({"text": "sync"})
        group.discard(channel)
        group.send({"text": "nobody hears this"})

    await asyncio.to_thread(from_a_thread)
    assert (await fresh_layer.receive(channel))["text"] == "sync"
    assert "watchers" not in fresh_layer.groups


async def test_without_a_channel_layer_replies_work_and_groups_say_what_is_missing():
    with override_settings(CHANNEL_LAYERS={}):
        communicator = await connected(MessageRouter([route("websocket.connect", accept)]), "/")
        await communicator.disconnect()
        with pytest.raises(ImproperlyConfigured, match="CHANNEL_LAYERS"):
            await Group("g").asend({"text": "x"})


async def test_a_worker_on_a_channel_answers_the_connection(fresh_layer):
    """A websocket consumer hands work to a channel; a runworker-style MessageRouter replies."""

    def hand_off(message, **kwargs):
        Channel("thumbnails").send({"reply_channel": message.reply_channel.name, "n": 2})

    def worker_consumer(message, **kwargs):
        message.reply_channel.send({"text": f"done {message['n'] * 2} on {message.channel.name}"})

    app = MessageRouter([route("websocket.connect", accept), route("websocket.receive", hand_off)])
    communicator = await connected(app, "/")
    await communicator.send_to(text_data="make thumbnails")
    worker = await serve_one(
        MessageRouter([route("thumbnails", worker_consumer)]), fresh_layer, "thumbnails"
    )
    assert await communicator.receive_from() == "done 4 on thumbnails"
    worker.stop()
    await communicator.disconnect()


async def test_http_requests_get_channels_1_responses_and_unrouted_ones_a_404():
    def view(message, **kwargs):
        message.reply_channel.send(
            {
                "status": 200,
                "headers": [("content-type", "text/plain")],
                "content": b"part 1, ",
                "more_content": True,
            }
        )
        message.reply_channel.send({"content": message["body"]})

    app = MessageRouter([route("http.request", view, path=r"^/hello/$")])
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/hello/",
        "headers": [],
        "query_string": b"",
    }
    communicator = ApplicationCommunicator(app, scope)
    await communicator.send_input({"type": "http.request", "body": b"part 2", "more_body": False})
    assert await communicator.receive_output() == {
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", b"text/plain")],
    }
    assert (await communicator.receive_output())["body"] == b"part 1, "
    assert await communicator.receive_output() == {
        "type": "http.response.body",
        "body": b"part 2",
        "more_body": False,
    }
    await communicator.wait()

    missing = ApplicationCommunicator(app, {**scope, "path": "/missing/"})
    await missing.send_input({"type": "http.request", "body": b""})
    assert (await missing.receive_output())["status"] == 404
    assert (await missing.receive_output())["body"] == b"No route for /missing/"
    await missing.wait()


async def test_under_a_url_router_filters_see_the_full_path_and_url_kwargs_pass_on():
    def greet(message, **kwargs):
        message.reply_channel.send({"text": f"{message['path']} {sorted(kwargs.items())}"})

    legacy = MessageRouter([route("websocket.connect", greet, path=r"^/legacy/(?P<name>\w+)/$")])
    rooms = MessageRouter([route("websocket.connect", greet)])
    app = URLRouter([re_path(r"^legacy/", legacy), path("rooms/<slug:room>/", rooms)])
    communicator = await connected(app, "/legacy/ann/")
    assert await communicator.receive_from() == "/legacy/ann/ [('name', 'ann')]"
    await communicator.disconnect()
    communicator = await connected(app, "/rooms/lobby/")
    assert await communicator.receive_from() == "/rooms/lobby/ [('room', 'lobby')]"
    await communicator.disconnect()


async def test_a_bad_message_on_the_connection_channel_is_dropped_and_logged(fresh_layer, caplog):
    def tell_channel(message, **kwargs):
        message.reply_channel.send({"accept": True, "text": message.reply_channel.name})

    communicator = await connected(MessageRouter([route("websocket.connect", tell_channel)]), "/")
    channel_name = await communicator.receive_from()
    with caplog.at_level(logging.WARNING, logger=ROUTER_LOGGER):
        await fresh_layer.send(channel_name, {"type": "chat.message", "body": "not a reply"})
        await fresh_layer.send(channel_name, {"text": "a real reply"})
        assert await communicator.receive_from() == "a real reply"
    assert "Dropped a message for" in caplog.text
    await communicator.disconnect()


async def test_unsupported_scope_types_are_refused_by_name():
    app = MessageRouter([route("lifespan.startup", accept)])
    with pytest.raises(ValueError, match="not 'lifespan'"):
        await app({"type": "lifespan"}, None, None)
