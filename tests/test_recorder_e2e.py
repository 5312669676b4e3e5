"""End to end: real daphne processes, the real `websockets` client, the recorder in between."""

import asyncio
import json
import time
import urllib.request

import pytest
from chat.routing import websocket_urlpatterns
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.conftest import demo_environment, free_port, start_daphne, stop
from tests.recorder_probe import PROBE_PATH

DEADLINE = 10.0


@pytest.fixture
def probe_server(tmp_path):
    """The demo behind the recorder, plus a JSON probe of its registry, on a real daphne."""
    port = free_port()
    env = demo_environment(tmp_path / "demo.sqlite3", "recorder-e2e")
    process = start_daphne("tests.recorder_probe:application", port, env)
    try:
        yield port
    finally:
        stop(process)


def read_registry(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{PROBE_PATH}", timeout=5) as response:
        return json.load(response)


async def poll(port, ready):
    """Ask the server's registry until ``ready(snapshot)`` holds, or fail at the deadline."""
    deadline = time.monotonic() + DEADLINE
    while True:
        snapshot = await asyncio.to_thread(read_registry, port)
        if ready(snapshot):
            return snapshot
        if time.monotonic() > deadline:
            raise AssertionError(f"registry never got there: {json.dumps(snapshot)[:2000]}")
        await asyncio.sleep(0.05)


async def test_recorder_sees_a_real_connection_through_daphne(probe_server):
    port = probe_server
    origin = f"http://127.0.0.1:{port}"
    url = f"ws://127.0.0.1:{port}/ws/chat/lobby/?token=s3cret"
    async with connect(url, origin=origin) as websocket:
        await websocket.send(json.dumps({"text": "hello"}))
        assert json.loads(await websocket.recv()) == {"text": "hello", "author": "anonymous"}
        snapshot = await poll(port, lambda s: s["live"]["total"] == 1)
        live = snapshot["live"]["connections"][0]
        assert live["consumer"] == "chat.consumers.ChatConsumer"
        assert live["kwargs"] == {"room": "lobby"} and live["groups"] == ["chat_lobby"]
        assert live["state"] == "accepted" and live["client"].startswith("127.0.0.1:")
        assert live["query_string"] == "token=[redacted]"
        assert live["messages_in"] == 1 and live["messages_out"] == 1
    snapshot = await poll(port, lambda s: s["live"]["total"] == 0 and s["closed"]["total"])
    closed = snapshot["closed"]["connections"][0]
    assert closed["id"] == live["id"] and closed["state"] == "closed"
    assert closed["close_code"] == 1000 and closed["groups_left"] == ["chat_lobby"]

    with pytest.raises(InvalidStatus):  # daphne answers 403 when routing fails
        async with connect(f"ws://127.0.0.1:{port}/ws/nowhere/", origin=origin):
            pass
    snapshot = await poll(port, lambda s: any(d["outcome"] == "miss" for d in s["decisions"]))
    miss = next(d for d in snapshot["decisions"] if d["outcome"] == "miss")
    assert miss["path"] == "/ws/nowhere/"
    reasons = [c["reason"] for c in miss["steps"][-1]["candidates"]]
    assert reasons == ["pattern did not match"] * len(websocket_urlpatterns)


async def test_demo_chat_works_through_the_recorder(demo_server):
    """The example project, wrapped in the recorder, serves chat between two real clients."""
    room = f"{demo_server.ws_url}/ws/chat/e2e/"
    async with (
        connect(room, origin=demo_server.url) as alice,
        connect(room, origin=demo_server.url) as bob,
    ):
        await alice.send(json.dumps({"text": "hi bob"}))
        for websocket in (alice, bob):
            assert json.loads(await asyncio.wait_for(websocket.recv(), DEADLINE))["text"] == (
                "hi bob"
            )
    number = f"{demo_server.ws_url}/ws/number/5/page/2/"
    async with connect(number, origin=demo_server.url) as websocket:
        assert await asyncio.wait_for(websocket.recv(), DEADLINE) == "number=5 page=2"
