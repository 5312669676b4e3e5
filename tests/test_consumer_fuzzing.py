"""Random frames at every consumer we ship: each frame gets its reply, nothing raises out.

The action consumer, the Channels 1 ``WebsocketConsumer``, ``JsonWebsocketConsumer`` and
``WebsocketDemultiplexer`` get short runs of random text and binary frames: JSON of any shape
(deeply nested included), frames shaped like requests with random values in every key, and
bytes. Each frame must get exactly the reply its consumer documents, and the socket must still
answer afterwards; an exception raised out of the application fails the test, since
``WebsocketCommunicator`` re-raises it.
"""

import json

import pytest
from channels.testing import WebsocketCommunicator
from django.test import override_settings
from django.urls import path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels_admin.actions import AsyncAPIActionHandler, AsyncAPIConsumer, async_action
from channels_admin.actions.permissions import AllowAny, BasePermission, IsAuthenticated
from channels_admin.generic import JsonWebsocketConsumer, WebsocketConsumer, WebsocketDemultiplexer
from channels_admin.jsonframes import MAX_JSON_DEPTH
from channels_admin.routing import MessageRouter, route_class

pytestmark = pytest.mark.django_db(transaction=True)

FUZZ = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
deep = st.builds(
    lambda depth, opener: opener * depth + "1" + {"[": "]", '{"a":': "}"}[opener] * depth,
    st.integers(min_value=1, max_value=3000),
    st.sampled_from(["[", '{"a":']),
)
#: Keys that name parameters somewhere on the way from a frame to an action.
PARAMETER_NAMES = ["self", "scope", "handler", "consumer", "message", "method", "args", "kwargs"]


def frames_shaped_like(required, optional, names):
    """JSON text of objects with ``required`` keys, maybe ``optional`` ones, and random extras;
    each value one of ``names`` (mostly) or any JSON value; extra keys mostly parameter names."""
    value = st.sampled_from(names) | st.sampled_from(names) | json_values
    key = st.sampled_from(PARAMETER_NAMES) | st.sampled_from(PARAMETER_NAMES) | st.text(max_size=8)
    return st.builds(
        lambda obj, extra: json.dumps({**extra, **obj}),
        st.fixed_dictionaries(
            dict.fromkeys(required, value), optional=dict.fromkeys(optional, value)
        ),
        st.dictionaries(key, json_values, max_size=3),
    )


def nesting(text):
    """How deep brackets nest in ``text``, outside strings: the oracle for the depth limit."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def too_deep(frame):
    kind, data = frame
    return kind == "text" and nesting(data) > MAX_JSON_DEPTH


def frames(shaped):
    """A run of frames: ("text", str) or ("bytes", bytes)."""
    text = st.text(max_size=40) | st.builds(json.dumps, json_values) | deep | shaped
    frame = st.tuples(st.just("text"), text) | st.tuples(st.just("bytes"), st.binary(max_size=40))
    return st.lists(frame, min_size=1, max_size=6)


async def send(communicator, frame):
    kind, data = frame
    await communicator.send_input({"type": "websocket.receive", kind: data})


async def open_socket(app, url="/"):
    communicator = WebsocketCommunicator(app, url)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


# The action consumer


class Deny(BasePermission):
    """Refuses a frame carrying ``deny``; sync, so it runs in a worker thread."""

    def has_permission(self, scope, handler, action, **kwargs):
        return "deny" not in kwargs


class Items(AsyncAPIActionHandler):
    permission_classes = (Deny | IsAuthenticated,)

    @async_action
    async def list(self, limit=10):
        return {"limit": limit, "kwargs": self.kwargs}, 200

    @async_action
    def create(self, text, **extra):
        return [text, sorted(extra)], 201


class Api(AsyncAPIConsumer):
    permission_classes = (AllowAny & Deny,)
    routepatterns = [path("items/<int:pk>/", Items.as_aaah()), path("items/", Items.as_aaah())]

    @async_action
    async def ping(self, **payload):
        return sorted(payload), 200

    @async_action
    async def echo(self, text):
        return text, 200


ACTIONS = ["ping", "echo", "list", "create", "nope", "__init__", "websocket_connect"]
ROUTES = ["", "items/", "items/5/", "items/x/", "nowhere/", "/items/5/"]
action_frames = frames_shaped_like(
    ["action"], ["route", "request_id", "text", "limit"], [*ACTIONS, *ROUTES]
)


@FUZZ
@given(run=frames(action_frames))
async def test_the_action_consumer_answers_every_frame(run):
    ws = await open_socket(Api.as_asgi())
    for frame in run:
        await send(ws, frame)
        reply = await ws.receive_json_from()
        assert {"errors", "data", "action", "route", "status"} <= set(reply), frame
        assert reply["status"] in (200, 201, 400, 403, 404, 405), (frame, reply)
        assert all(isinstance(error, str) for error in reply["errors"])
        if too_deep(frame):
            assert "too deeply nested" in reply["errors"][0]
    assert (await call(ws, {"action": "ping", "request_id": "last"}))["request_id"] == "last"
    await ws.disconnect()


async def call(communicator, frame):
    await communicator.send_json_to(frame)
    return await communicator.receive_json_from()


# Channels 1 consumers


class RawEcho(WebsocketConsumer):
    def receive(self, text=None, bytes=None, **kwargs):
        self.send(text=text, bytes=bytes)


class JsonEcho(JsonWebsocketConsumer):
    def receive(self, content, **kwargs):
        self.send({"echo": content})


class StreamEcho(JsonWebsocketConsumer):
    def connect(self, message, multiplexer, **kwargs):
        pass

    def receive(self, content, multiplexer, **kwargs):
        multiplexer.send({"echo": content})


class Demultiplexer(WebsocketDemultiplexer):
    consumers = {"echo": StreamEcho, "other": StreamEcho}


IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
stream_frames = frames_shaped_like(["stream", "payload"], [], ["echo", "other", "nope"])


@pytest.fixture(autouse=True)
def in_memory_layer():
    with override_settings(CHANNEL_LAYERS=IN_MEMORY):
        yield


@FUZZ
@given(run=frames(st.nothing()))
async def test_a_websocket_consumer_answers_every_frame(run):
    ws = await open_socket(MessageRouter([route_class(RawEcho)]))
    for kind, data in run:
        await send(ws, (kind, data))
        assert await ws.receive_output() == {"type": "websocket.send", kind: data}
    await ws.disconnect()


@FUZZ
@given(run=frames(st.nothing()))
async def test_a_json_consumer_answers_every_frame(run):
    ws = await open_socket(MessageRouter([route_class(JsonEcho)]))
    for frame in run:
        await send(ws, frame)
        reply = await ws.receive_json_from()
        kind, data = frame
        if "error" in reply:
            assert isinstance(reply["error"], str)
            assert not too_deep(frame) or "too deeply nested" in reply["error"]
        else:
            assert kind == "text" and not too_deep(frame)
            assert reply == {"echo": json.loads(data)}
    assert await call(ws, [1]) == {"echo": [1]}
    await ws.disconnect()


@FUZZ
@given(run=frames(stream_frames))
async def test_the_demultiplexer_answers_every_frame(run):
    ws = await open_socket(MessageRouter([route_class(Demultiplexer)]))
    for frame in run:
        await send(ws, frame)
        reply = await ws.receive_json_from()
        if "error" in reply:
            assert isinstance(reply["error"], str)
            assert not too_deep(frame) or "too deeply nested" in reply["error"]
        else:
            assert not too_deep(frame)
            content = json.loads(frame[1])
            assert reply == {"stream": content["stream"], "payload": {"echo": content["payload"]}}
    still = await call(ws, {"stream": "echo", "payload": {"still": "open"}})
    assert still["payload"] == {"echo": {"still": "open"}}
    await ws.disconnect()
