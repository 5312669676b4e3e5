"""Memory stays bounded: 5,000 connections opened and closed leave the configured maxima."""

import gc

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.urls import path

from channels_admin.actions import AsyncAPIConsumer
from channels_admin.recorder import recording
from channels_admin.registry import set_registry
from channels_admin.registry.memory import MemoryRegistry
from channels_admin.routing import RouteNotFound, URLRouter
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


async def test_a_closed_connection_leaves_nothing_for_the_garbage_collector():
    """The recording and its trace are freed as the connection ends, not at some later full
    collection (connections live long enough for their objects to reach the oldest one)."""
    set_registry(MemoryRegistry())
    app = application()
    gc.collect()
    gc.disable()
    try:
        for number in range(20):
            communicator = WebsocketCommunicator(app, f"/rooms/r{number}/")
            assert (await communicator.connect())[0]
            await communicator.disconnect()
        left = [o for o in gc.get_objects() if type(o) is recording.Recording]  # no proxies
    finally:
        gc.enable()
        set_registry(None)
    assert left == []


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
    kept = (await registry.decisions())["decisions"]
    assert [d["path"] for d in kept] == ["/nowhere/4/", "/nowhere/3/"]
    closed = await registry.connections(live=False)
    assert closed["total"] == 3
    assert [c["path"] for c in closed["connections"]] == [f"/nowhere/{n}/" for n in (4, 3, 2)]


@pytest.mark.django_db(transaction=True)
async def test_per_frame_action_routing_does_not_grow_a_live_connection(registry):
    """Action routing decides on every frame; once the connection's own routing is recorded,
    those steps are dropped, so a socket that lives for 300 frames holds no more than one."""
    from channels_admin.middleware import RoutingRecorderMiddleware
    from tests.test_actions import RoomHandler, call, open_socket

    class Api(AsyncAPIConsumer):
        routepatterns = [path("rooms/<int:pk>/", RoomHandler.as_aaah())]

    app = RoutingRecorderMiddleware(URLRouter([path("ws/", Api.as_asgi())]))
    async with open_socket(app) as communicator:
        for number in range(300):
            reply = await call(communicator, action="retrieve", route=f"rooms/{number}/")
            assert reply["status"] == 200 and reply["data"]["kwargs"] == {"pk": number}
        (live,) = recording.by_channel.values()
        assert len(live.trace) == 0 and live.trace.closed
        record = (await registry.connections())["connections"][0]
        assert record["consumer"].endswith(".Api") and len(record["trace"]) == 1
