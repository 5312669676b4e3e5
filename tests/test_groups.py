"""Active groups read from the layer itself, members mapped back to recorded connections."""

import time

import pytest
import redis
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from channels_admin.groups import active_groups, group_counts
from channels_admin.registry import set_registry
from tests.test_recorder import application


async def open_rooms(*rooms):
    communicators = []
    for room in rooms:
        communicator = WebsocketCommunicator(application(), f"/rooms/{room}/")
        assert (await communicator.connect())[0]
        communicators.append(communicator)
    return communicators


async def ids_by_room(registry):
    page = await registry.connections(limit=1000)
    return {c["kwargs"]["room"]: c["id"] for c in page["connections"]}


async def test_in_memory_groups_with_members_as_connections(registry):
    layer = get_channel_layer()
    await layer.flush()
    communicators = await open_rooms("red", "red", "blue")
    await layer.group_add("room_red", "specific.not-recorded!x")
    stale = time.time() - layer.group_expiry - 10
    layer.groups.setdefault("room_stale", {})["specific.old!x"] = stale

    found = await active_groups()
    assert found["complete"] is True and found["backend"].endswith("InMemoryChannelLayer")
    groups = {group["name"]: group for group in found["groups"]}
    assert set(groups) == {"room_blue", "room_red"}  # the expired member's group is gone
    assert groups["room_red"]["size"] == 3
    connections = [m["connection"] for m in groups["room_red"]["members"]]
    assert connections.count(None) == 1  # a channel no connection of ours owns
    ids = await ids_by_room(registry)
    assert groups["room_blue"]["members"][0]["connection"] == ids["blue"]
    assert [g["name"] for g in (await active_groups(name="blu"))["groups"]] == ["room_blue"]
    counts = await group_counts()
    assert (counts["total"], counts["members"], counts["complete"]) == (2, 4, True)

    for communicator in communicators:
        await communicator.disconnect()
    await layer.flush()
    assert (await active_groups())["groups"] == []


async def test_unknown_alias_is_a_clear_error():
    with pytest.raises(LookupError, match="No channel layer 'nope'"):
        await active_groups("nope")
    with pytest.raises(LookupError, match="No channel layer 'nope'"):
        await group_counts("nope")


@pytest.mark.redis
async def test_redis_groups_across_shards_skipping_expired_members(redis_url, registry):
    base = redis_url.rsplit("/", 1)[0]
    shards = [f"{base}/0", f"{base}/1"]
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": shards, "prefix": "t[1]", "group_expiry": 100},
        }
    }
    clients = [redis.Redis.from_url(shard) for shard in shards]
    for client in clients:
        client.flushdb()
    with override_settings(CHANNEL_LAYERS=layers):
        set_registry(registry)
        layer = get_channel_layer()
        by_shard = {0: [], 1: []}
        for n in range(100):
            by_shard[layer.consistent_hash(f"room_r{n}")].append(f"r{n}")
        rooms = list(dict.fromkeys(["r0", "r1", *by_shard[0][:3], *by_shard[1][:3]]))
        communicators = await open_rooms(*rooms, "r0")
        # A member that joined longer ago than group_expiry: group_send would skip it.
        old_key = b"t[1]:group:room_r1"
        index = layer.consistent_hash("room_r1")
        clients[index].zadd(old_key, {"specific.gone!x": time.time() - 1000})
        clients[0].zadd(b"t[1]:group:only_old", {"specific.gone!y": time.time() - 1000})
        clients[0].zadd(b"t1:group:other_prefix", {"specific.z!z": time.time()})

        found = await active_groups()
        groups = {group["name"]: group for group in found["groups"]}
        assert set(groups) == {f"room_{room}" for room in rooms}
        assert groups["room_r0"]["size"] == 2 and groups["room_r1"]["size"] == 1
        ids = await ids_by_room(registry)
        last = rooms[-1]
        assert groups[f"room_{last}"]["members"][0]["connection"] == ids[last]
        assert all(client.keys(rb"t\[1\]:group:*") for client in clients)  # both shards used
        counts = await group_counts()
        assert (counts["total"], counts["members"]) == (len(rooms), len(rooms) + 1)

        for communicator in communicators:
            await communicator.disconnect()
        found = await active_groups()
        assert found["groups"] == []
        await layer.flush()
        await layer.close_pools()
    for client in clients:
        client.close()
