"""The demo's action API (ws/api/): in-process, on a real daphne, and from the page."""

import asyncio
import json
from contextlib import asynccontextmanager

import pytest
from channels.testing import WebsocketCommunicator
from rooms.models import Message, Room
from websockets.asyncio.client import connect

from tests.test_actions import call

# The in-process tests use the test database; the daphne and browser ones the demo's own.
in_process_db = pytest.mark.django_db(transaction=True)

ORIGIN = "http://127.0.0.1"


@asynccontextmanager
async def api_socket():
    """A connection to ws/api/ through the demo's whole ASGI application."""
    from demo.asgi import application

    communicator = WebsocketCommunicator(
        application, "/ws/api/", headers=[(b"origin", ORIGIN.encode()), (b"host", b"127.0.0.1")]
    )
    connected, _ = await communicator.connect()
    assert connected
    try:
        yield communicator
    finally:
        await communicator.disconnect()


@in_process_db
async def test_rooms_api_lists_posts_and_broadcasts_to_subscribers():
    async with api_socket() as alice, api_socket() as bob:
        opened = await call(alice, action="create", route="v1/rooms/", name="lobby")
        assert opened["status"] == 201
        room = opened["data"]
        assert (await call(bob, action="create", route="v1/rooms/", name="lobby"))["status"] == 200
        messages = f"v1/rooms/{room['id']}/messages/"
        assert (await call(bob, action="subscribe", route=messages))["data"] == room
        assert (await call(alice, action="list", route=messages))["data"] == []

        posted = await call(alice, action="create", route=messages, text=" hello ", request_id=1)
        assert posted["status"] == 201
        assert posted["request_id"] == 1
        assert {k: posted["data"][k] for k in ("room", "author", "text")} == {
            "room": room["id"],
            "author": "anonymous",
            "text": "hello",
        }
        broadcast = await bob.receive_json_from()
        assert broadcast["data"] == posted["data"]
        assert "request_id" not in broadcast
        assert await alice.receive_nothing()  # alice did not subscribe

        listed = await call(bob, action="list", route=messages)
        assert [message["text"] for message in listed["data"]] == ["hello"]
        assert (await call(alice, action="list", route="v1/rooms/"))["data"] == [room]
        assert (await call(alice, action="ping"))["data"] == {"pong": True}
    assert await Message.objects.acount() == 1


@in_process_db
async def test_rooms_api_errors_are_replies():
    async with api_socket() as ws:
        assert (await call(ws, action="list", route="v1/rooms/999/messages/"))["status"] == 404
        assert (await call(ws, action="subscribe", route="v1/rooms/999/messages/"))[
            "status"
        ] == 404
        bad_name = await call(ws, action="create", route="v1/rooms/", name="no spaces please")
        assert bad_name["status"] == 400
        room = (await call(ws, action="create", route="v1/rooms/", name="quiet"))["data"]
        messages = f"v1/rooms/{room['id']}/messages/"
        assert (await call(ws, action="create", route=messages, text="   "))["status"] == 400
        assert (await call(ws, action="list", route=messages, limit=10_000))["status"] == 400
        assert (await call(ws, action="destroy", route=messages))["status"] == 405
    assert not await Room.objects.filter(name="no spaces please").aexists()


async def receive_reply(websocket, timeout=5):
    return json.loads(await asyncio.wait_for(websocket.recv(), timeout))


async def test_on_daphne_garbage_never_closes_the_socket_and_broadcasts_arrive(demo_server):
    url = demo_server.ws_url + "/ws/api/"
    origin = demo_server.url
    async with connect(url, origin=origin) as alice, connect(url, origin=origin) as bob:
        # Daphne itself closes frames over 1 MiB (1009, --websocket-max-message-size).
        padded = json.dumps({"action": "ping", "padding": "x" * 900_000})
        deep = '{"action": "ping", "request_id": ' + "[" * 965 + "]" * 965 + "}"
        named_self = json.dumps({"action": "ping", "self": 1})
        for frame in [b"\x00binary", "not json", "[1]", "{}", padded, deep, named_self]:
            await alice.send(frame)
            assert (await receive_reply(alice))["status"] == 400
        await alice.send(json.dumps({"action": "create", "route": "v1/rooms/", "name": "e2e"}))
        room = (await receive_reply(alice))["data"]
        messages = f"v1/rooms/{room['id']}/messages/"
        await bob.send(json.dumps({"action": "subscribe", "route": messages}))
        assert (await receive_reply(bob))["status"] == 200
        await alice.send(json.dumps({"action": "create", "route": messages, "text": "over tcp"}))
        assert (await receive_reply(alice))["status"] == 201
        assert (await receive_reply(bob))["data"]["text"] == "over tcp"


@pytest.mark.browser
def test_page_posts_through_the_action_api_and_other_pages_see_it(demo_server, browser):
    reader = browser.new_page()
    writer = browser.new_page()
    for page in (reader, writer):
        page.goto(demo_server.url + "/")
        page.wait_for_function("document.getElementById('api-status').textContent === 'connected'")
    # The page opens the lobby and subscribes on connect; wait until both have.
    for page in (reader, writer):
        page.wait_for_function("() => apiRoom !== null && pending.size === 0")
    writer.fill("#api-message", "from the page")
    writer.click("#api-message-form button")
    for page in (reader, writer):
        page.wait_for_function(
            "document.getElementById('api-log').textContent.includes('anonymous: from the page')"
        )
    assert writer.text_content("#api-error") == ""
