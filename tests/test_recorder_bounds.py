"""Memory stays bounded: 5,000 connections opened and closed leave the configured maxima."""

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from channels_admin import recording
from channels_admin.registry import set_registry
from channels_admin.registry.memory import MemoryRegistry
from channels_admin.routing import RouteNotFound
from tests.test_recorder import application

CYCLES = 5000


async def miss(app, path):
    async def receive():
        return {"type": "websocket.connect"}

    async def send(message):
        raise AssertionError("a missed route sends nothing")

    with pytest.raises(RouteNotFound):
        await app({"type": "websocket", "path": path, "headers": []}, receive, send)


async def test_5000_open_close_cycles_keep_every_list_bounded():
    registry = MemoryRegistry()
    set_registry(registry)
    app = application()
    layer = get_channel_layer()
    try:
        for number in range(CYCLES):
            if number % 10 == 0:
                await miss(app, f"/nowhere/{number}/")
                continue
            communicator = WebsocketCommunicator(app, f"/rooms/r{number % 7}/")
            assert (await communicator.connect())[0]
            await communicator.send_to(text_data="x")
            assert await communicator.receive_from() == "x"
            await communicator.disconnect()
        summary = await registry.summary()
    finally:
        set_registry(None)
    assert summary["live"] == 0
    assert summary["closed"] == 1000 and summary["decisions"] == 1000  # the defaults
    assert summary["outcomes"] == {"hit": 900, "miss": 100}  # misses count against the bound
    assert registry.by_channel == {} and recording.by_channel == {}
    assert not any(name.startswith("room_") for name in layer.groups)
    newest = (await registry.connections(live=False, limit=1))["connections"][0]
    assert newest["path"] == f"/rooms/r{(CYCLES - 1) % 7}/"


async def test_configured_bounds_apply(settings):
    settings.CHANNELS_ADMIN = {"MAX_CLOSED_CONNECTIONS": 3, "MAX_DECISIONS": 2}
    registry = MemoryRegistry()
    set_registry(registry)
    app = application()
    try:
        for number in range(5):
            await miss(app, f"/nowhere/{number}/")
    finally:
        set_registry(None)
    assert [d["path"] for d in await registry.decisions()] == ["/nowhere/4/", "/nowhere/3/"]
    closed = await registry.connections(live=False)
    assert closed["total"] == 3
    assert [c["path"] for c in closed["connections"]] == [f"/nowhere/{n}/" for n in (4, 3, 2)]
