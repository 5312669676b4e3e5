"""A misbehaving client gets a 400 for each bad frame and never loses its connection."""

import json

import pytest
from channels.testing import WebsocketCommunicator
from django.urls import path

from channels_admin.actions import AsyncAPIActionHandler, AsyncAPIConsumer, async_action
from tests.test_actions import call, open_socket

pytestmark = pytest.mark.django_db(transaction=True)


class Echo(AsyncAPIActionHandler):
    @async_action
    async def echo(self, text):
        return {"length": len(text)}, 200


class Consumer(AsyncAPIConsumer):
    routepatterns = [path("echo/", Echo.as_aaah())]

    @async_action
    async def ping(self):
        return "pong", 200


GARBAGE = [
    # (frame sent, expected status, a phrase the error must contain)
    ("not json", 400, "Invalid JSON"),
    ("{'single': 'quotes'}", 400, "Invalid JSON"),
    ("[1, 2, 3]", 400, "got an array"),
    ('"just a string"', 400, "got a string"),
    ("null", 400, "got null"),
    ("42", 400, "got a number"),
    ("[" * 100_000, 400, "too deeply nested"),  # RecursionError in the decoder
    ('{"action": 1' + "0" * 5000 + "}", 400, "Invalid JSON"),  # int over Python's digit limit
    ("{}", 400, 'Missing "action"'),
    ('{"route": "echo/"}', 400, 'Missing "action"'),
    ('{"action": ["list"]}', 400, '"action" must be a string'),
    ('{"action": "echo", "route": {"a": 1}}', 400, '"route" must be a string'),
    ('{"action": "echo", "route": "no/such/route/"}', 404, "No route matches"),
    ('{"action": "echo", "route": "echo/"}', 400, "Invalid arguments"),
    ('{"action": "echo", "route": "echo/", "text": "x", "extra": 1}', 400, "extra"),
    ('{"action": "drop_database", "route": "echo/"}', 405, "drop_database"),
    ('{"action": "websocket_disconnect"}', 405, "websocket_disconnect"),
    ('{"action": "__init__"}', 405, "__init__"),
    (json.dumps({"action": "echo", "route": "echo/", "text": "x" * 2_000_000}), 400, "limit"),
]


async def test_every_bad_frame_gets_an_error_reply_and_the_connection_stays_open():
    async with open_socket(Consumer.as_asgi()) as ws:
        for frame, status, phrase in GARBAGE:
            await ws.send_to(text_data=frame)
            reply = await ws.receive_json_from()
            assert reply["status"] == status, frame[:60]
            assert phrase in reply["errors"][0], (frame[:60], reply["errors"])
            assert set(reply) == {"errors", "data", "action", "route", "status"}
        assert (await call(ws, action="ping"))["data"] == "pong"


async def test_binary_and_empty_frames_get_a_400():
    async with open_socket(Consumer.as_asgi()) as ws:
        await ws.send_to(bytes_data=b"\x00\xff" * 1000)
        binary = await ws.receive_json_from()
        await ws.send_input({"type": "websocket.receive", "text": ""})
        empty = await ws.receive_json_from()
        assert (await call(ws, action="ping"))["data"] == "pong"
    assert binary["status"] == 400
    assert "Binary frames are not supported" in binary["errors"][0]
    assert empty["status"] == 400


async def test_a_payload_just_under_a_megabyte_is_handled():
    text = "x" * 1_000_000
    async with open_socket(Consumer.as_asgi()) as ws:
        reply = await call(ws, action="echo", route="echo/", text=text)
    assert reply["data"] == {"length": 1_000_000}


async def test_the_frame_limit_can_be_raised_or_lifted():
    class Roomy(Consumer):
        max_frame_size = None

    async with open_socket(Roomy.as_asgi()) as ws:
        reply = await call(ws, action="echo", route="echo/", text="x" * 3_000_000)
    assert reply["data"] == {"length": 3_000_000}


async def test_one_clients_garbage_does_not_disturb_another_connection():
    async with open_socket(Consumer.as_asgi()) as rude, open_socket(Consumer.as_asgi()) as nice:
        for frame, _, _ in GARBAGE:
            await rude.send_to(text_data=frame)
        for _ in GARBAGE:
            await rude.receive_json_from()
        assert (await call(nice, action="echo", route="echo/", text="hello"))["status"] == 200
        assert (await call(rude, action="ping"))["data"] == "pong"


async def test_a_client_that_disconnects_mid_stream_ends_the_consumer_cleanly():
    communicator = WebsocketCommunicator(Consumer.as_asgi(), "/")
    await communicator.connect()
    await communicator.send_to(text_data="not json")
    await communicator.send_input({"type": "websocket.disconnect", "code": 1006})
    await communicator.wait()  # raises if the consumer crashed
