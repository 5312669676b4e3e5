"""End to end: the demo on a real daphne, spoken to by a real websocket client."""

import asyncio
import json

import pytest
from channels.testing import WebsocketCommunicator
from chat.routing import websocket_urlpatterns
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from channels_admin.routing import URLRouter

REPLY_TIMEOUT = 10.0


def open_socket(server, path):
    """A websocket to the demo, with the Origin header AllowedHostsOriginValidator wants."""
    return connect(server.ws_url + path, origin=server.url, open_timeout=REPLY_TIMEOUT)


async def receive(socket):
    return await asyncio.wait_for(socket.recv(), REPLY_TIMEOUT)


async def test_chat_message_reaches_every_member_of_the_room(demo_server):
    async with (
        open_socket(demo_server, "/ws/chat/e2e-room/") as alice,
        open_socket(demo_server, "/ws/chat/e2e-room/") as bob,
        open_socket(demo_server, "/ws/chat/other-room/") as outsider,
    ):
        await alice.send(json.dumps({"text": "hello, room"}))
        expected = {"text": "hello, room", "author": "anonymous"}
        assert json.loads(await receive(bob)) == expected
        assert json.loads(await receive(alice)) == expected

        await outsider.send(json.dumps({"text": "elsewhere"}))
        assert json.loads(await receive(outsider))["text"] == "elsewhere"
        # Bob's next message is his own room's, not the other room's.
        await bob.send(json.dumps({"text": "still here"}))
        assert json.loads(await receive(bob))["text"] == "still here"


async def test_router_nested_under_middleware_routes_with_both_levels_kwargs(demo_server):
    async with open_socket(demo_server, "/ws/number/42/page/3/") as socket:
        assert await receive(socket) == "number=42 page=3"
        await socket.send("echo me")
        assert await receive(socket) == "echo me"


@pytest.mark.parametrize("path", ["/ws/nowhere/", "/ws/number/42/", "/ws/number/x/page/3/"])
async def test_unknown_path_is_refused_and_the_server_keeps_serving(demo_server, path):
    async with open_socket(demo_server, "/ws/chat/survivors/") as survivor:
        with pytest.raises(InvalidStatus) as refused:
            async with open_socket(demo_server, path):
                pass
        assert refused.value.response.status_code >= 400

        # The connection that was already open still works ...
        await survivor.send(json.dumps({"text": "after the refusal"}))
        assert json.loads(await receive(survivor))["text"] == "after the refusal"
        # ... and new connections are still routed.
        async with open_socket(demo_server, "/ws/number/7/page/1/") as socket:
            assert await receive(socket) == "number=7 page=1"


async def test_a_room_too_long_for_a_group_name_is_refused_in_the_handshake():
    """In process: the consumer refuses cleanly instead of failing to join the group."""
    app = URLRouter(websocket_urlpatterns)
    communicator = WebsocketCommunicator(app, f"/ws/chat/{'a' * 120}/")
    assert (await communicator.connect())[0] is False
    await communicator.disconnect()  # the disconnect that follows has no group to leave
