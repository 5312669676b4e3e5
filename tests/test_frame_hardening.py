"""Frames that used to kill a socket or answer 500: JSON nested deep enough to break encoding
on the way out, and payload keys named like a parameter of the code that receives them."""

import json

import pytest

from channels_admin.actions import AsyncAPIConsumer, async_action
from channels_admin.actions.permissions import BasePermission
from channels_admin.generic import JsonWebsocketConsumer
from channels_admin.jsonframes import MAX_JSON_DEPTH
from channels_admin.routing import MessageRouter, route_class
from tests.test_actions import call, open_socket
from tests.test_generic_consumers import Echo, connected, demux_app

pytestmark = pytest.mark.django_db(transaction=True)


def nested(depth, inner="0"):
    """A JSON array ``depth`` levels deep."""
    return "[" * depth + inner + "]" * depth


class Ping(AsyncAPIConsumer):
    @async_action
    async def ping(self, **payload):
        return sorted(payload), 200


@pytest.mark.parametrize("depth", [965, 5000])
async def test_a_deeply_nested_frame_gets_a_400_and_the_socket_stays_open(depth):
    async with open_socket(Ping.as_asgi()) as ws:
        await ws.send_to(text_data=f'{{"action": "ping", "request_id": {nested(depth)}}}')
        reply = await ws.receive_json_from()
        assert reply["status"] == 400
        assert "too deeply nested" in reply["errors"][0]
        assert "request_id" not in reply
        assert (await call(ws, action="ping", request_id=1))["status"] == 200


async def test_nesting_up_to_the_limit_is_echoed():
    request_id = nested(MAX_JSON_DEPTH - 1)  # inside the frame's own object
    async with open_socket(Ping.as_asgi()) as ws:
        await ws.send_to(text_data=f'{{"action": "ping", "request_id": {request_id}}}')
        assert (await ws.receive_json_from())["status"] == 200


class StrictJson(Ping):
    """Encodes strict JSON: a float the client wrote as 1e999 (infinity) cannot go back out."""

    @classmethod
    async def encode_json(cls, content):
        return json.dumps(content, allow_nan=False)


async def test_a_reply_that_cannot_echo_the_request_id_is_a_500_without_it():
    async with open_socket(StrictJson.as_asgi()) as ws:
        await ws.send_to(text_data='{"action": "ping", "request_id": 1e999}')
        reply = await ws.receive_json_from()
        assert reply["status"] == 500
        assert "request_id" not in reply
        assert (await call(ws, action="ping", request_id=2))["request_id"] == 2


async def test_a_deep_frame_to_a_json_consumer_gets_an_error_and_the_socket_stays_open():
    communicator = await connected(MessageRouter([route_class(Echo)]))
    await communicator.send_to(text_data=nested(965))
    assert "too deeply nested" in (await communicator.receive_json_from())["error"]
    await communicator.send_json_to([1])
    assert await communicator.receive_json_from() == {"echo": [1]}
    await communicator.disconnect()


async def test_a_deep_payload_to_the_demultiplexer_gets_an_error_and_the_socket_stays_open():
    communicator = await connected(demux_app, "/red/")
    await communicator.receive_json_from()  # the stats stream's hello
    await communicator.send_to(
        text_data=f'{{"stream": "echo", "payload": {{"x": {nested(965)}}}}}'
    )
    assert "too deeply nested" in (await communicator.receive_json_from())["error"]
    await communicator.send_json_to({"stream": "echo", "payload": {"still": "open"}})
    assert (await communicator.receive_json_from())["payload"] == {"echo": {"still": "open"}}
    await communicator.disconnect()


class Limited(JsonWebsocketConsumer):
    max_json_depth = 2

    def receive(self, content, **kwargs):
        self.send(content)


async def test_max_json_depth_is_the_json_consumers_to_set():
    communicator = await connected(MessageRouter([route_class(Limited)]))
    await communicator.send_json_to({"a": [1]})
    assert await communicator.receive_json_from() == {"a": [1]}
    await communicator.send_json_to({"a": [[1]]})
    assert "more than 2 levels" in (await communicator.receive_json_from())["error"]
    await communicator.disconnect()


class Everything(BasePermission):
    """Takes the payload; its own parameters are named like payload keys a client may send."""

    async def has_permission(self, scope, handler, action, **kwargs):
        return kwargs.get("allow", True)


class Named(BasePermission):
    """Takes no payload at all, only one named key."""

    def has_permission(self, scope, handler, action, allow=True):
        return allow


class Collider(AsyncAPIConsumer):
    permission_classes = (Everything, Named)

    @async_action
    async def ping(self, **payload):
        return sorted(payload), 200

    @async_action
    def sync_ping(self, **payload):
        return sorted(payload), 200

    @async_action
    async def echo(self, text):
        return text, 200


CLASHING = ["method", "scope", "handler", "consumer", "message", "args", "kwargs", "call"]


@pytest.mark.parametrize("action", ["ping", "sync_ping"])
async def test_payload_keys_named_like_parameters_reach_the_action(action):
    payload = dict.fromkeys(CLASHING, 1)
    async with open_socket(Collider.as_asgi()) as ws:
        reply = await call(ws, action=action, **payload)
    assert reply["status"] == 200
    assert reply["data"] == sorted(payload)


@pytest.mark.parametrize("action", ["ping", "sync_ping", "echo"])
async def test_a_payload_key_named_self_is_a_400_not_a_500(action):
    async with open_socket(Collider.as_asgi()) as ws:
        reply = await call(ws, action=action, self=1, text="x")
        assert reply["status"] == 400
        assert "self" in reply["errors"][0]
        assert (await call(ws, action="echo", text="still open"))["data"] == "still open"


async def test_permissions_get_the_payload_keys_they_can_take_and_no_others():
    async with open_socket(Collider.as_asgi()) as ws:
        assert (await call(ws, action="ping", allow=False))["status"] == 403
        # Named takes no **kwargs: "unknown" is not passed to it.
        assert (await call(ws, action="ping", allow=True, unknown=1))["status"] == 200
