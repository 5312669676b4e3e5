"""The Redis registry against a real redis-server: the registry API across servers, dead
servers, Redis emptied or unreachable, and the settings that point it at Redis."""

import asyncio
import json
import time

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from channels_admin.conf import app_settings
from channels_admin.recorder.records import Decision, Record
from channels_admin.registry import redis as redis_registry
from channels_admin.registry.base import RegistryUnavailable
from channels_admin.registry.redis_store import hide_password, layer_redis_url
from tests.conftest import free_port

pytestmark = pytest.mark.redis
HEARTBEAT = 0.3
DEADLINE = 10.0


def server(name):
    return {"id": name, "host": "test", "pid": 0, "software": None, "started": time.time()}


def record(path, consumer="app.C", groups=(), state="accepted", **fields):
    scope = {"type": "websocket", "path": path, "headers": [], "query_string": b""}
    made = Record(scope, app_settings())
    fields.update(consumer=consumer, groups=tuple(groups), state=state)
    for name, value in fields.items():
        setattr(made, name, value)
    return made


async def eventually(read, condition, timeout=DEADLINE):
    """Poll ``await read()`` until ``condition(result)``; return the result."""
    deadline = time.monotonic() + timeout
    while True:
        result = await read()
        if condition(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met within %ss; last: %r" % (timeout, result))
        await asyncio.sleep(0.05)


@pytest.fixture
async def make_registry(redis_url, redis_client):
    from channels_admin.registry.redis import RedisRegistry

    made = []

    def make(name, url=redis_url, **kwargs):
        registry = RedisRegistry(url=url, heartbeat=HEARTBEAT, server=server(name), **kwargs)
        made.append(registry)
        return registry

    yield make
    for registry in made:
        await registry.stop()


async def open_many(registry, count, prefix):
    for number in range(count):
        made = record(
            f"/ws/{prefix}/{number}/",
            consumer="chat.Chat" if number % 2 else "chat.Number",
            groups=[f"g{number % 5}"],
            messages_in=number,
            channel_name=f"specific.{prefix}{number}",
        )
        await registry.opened(made)
        await registry.changed(made)
        made.outcome = "hit"
        await registry.decided(Decision(made))


async def test_reads_see_every_server(make_registry):
    one, two = make_registry("one"), make_registry("two")
    await open_many(one, 30, "a")
    await open_many(two, 20, "b")
    summary = await eventually(one.summary, lambda s: s["live"] == 50 and s["decisions"] == 50)
    assert summary["by_consumer"] == {"chat.Chat": 25, "chat.Number": 25}
    assert summary["outcomes"] == {"hit": 50}

    page = await two.connections(consumer="Chat", group="g1", limit=3)
    assert page["total"] == 5 and len(page["connections"]) == 3
    assert {c["server"] for c in (await one.connections(limit=100))["connections"]} == {
        "one",
        "two",
    }
    assert (await one.connections(server="two"))["total"] == 20
    busiest = (await one.connections(order="-messages_in", limit=2))["connections"]
    assert [c["messages_in"] for c in busiest] == [29, 28]
    with pytest.raises(ValueError, match="Cannot order connections by 'headers'"):
        await one.connections(order="headers")

    ids = await one.connection_ids(["specific.b3", "specific.a4", "specific.nobody"])
    assert set(ids) == {"specific.b3", "specific.a4"}
    found = await one.get(ids["specific.b3"])
    assert found["path"] == "/ws/b/3/" and found["server"] == "two"
    decisions = await one.decisions(path="/ws/b/", limit=5)
    assert decisions["total"] == 20 and decisions["decisions"][0]["path"] == "/ws/b/19/"
    assert [s["id"] for s in await one.servers()] == ["one", "two"]
    assert all(s["alive"] and s["live"] in (20, 30) for s in await two.servers())
    json.dumps(await one.connections(live=None))


async def test_counters_heartbeat_and_closed(make_registry):
    registry = make_registry("one")
    registry.max_closed = 2
    made = [record(f"/ws/{n}/", channel_name=f"c{n}") for n in range(3)]
    for each in made:
        await registry.opened(each)
    made[0].messages_in = 7
    made[0].last_activity = time.time()
    await eventually(lambda: registry.get(made[0].id), lambda r: r and r["messages_in"] == 7)
    busiest = await registry.connections(order="-messages_in", limit=1)
    assert busiest["connections"][0]["id"] == made[0].id  # its sorted set renewed too
    for each in made:
        each.state, each.ended = "closed", time.time()
        await registry.closed(each)
    closed = await eventually(
        lambda: registry.connections(live=False), lambda found: found["total"] == 2
    )
    assert {c["path"] for c in closed["connections"]} == {"/ws/1/", "/ws/2/"}
    assert (await registry.connections())["total"] == 0
    assert await registry.connection_ids(["c1"]) == {}
    assert (await registry.summary())["closed"] == 2


async def test_a_dead_server_leaves_the_live_picture(make_registry):
    survivor, dying = make_registry("survivor"), make_registry("dying")
    await open_many(survivor, 2, "s")
    await open_many(dying, 3, "d")
    await eventually(survivor.summary, lambda s: s["live"] == 5)
    await dying.stop()  # no more heartbeats, as after SIGKILL
    await asyncio.sleep(2 * HEARTBEAT + 0.1)  # its last beat was before: it is dead now
    assert (await survivor.summary())["live"] == 2
    lost = await eventually(
        lambda: survivor.connections(live=False), lambda found: found["total"] == 3
    )
    assert {(c["closed_by"], c["server"]) for c in lost["connections"]} == {("lost", "dying")}
    states = {s["id"]: s["alive"] for s in await survivor.servers()}
    assert states == {"survivor": True, "dying": False}

    await open_many(dying, 1, "again")  # it was only cut off: its writer starts again
    await eventually(survivor.summary, lambda s: s["live"] == 2 + 3 + 1)
    both = await survivor.connections(live=None)
    assert both["total"] == 6  # its connections are live again, not lost as well


async def test_default_page_and_counts_across_servers_one_dying(make_registry, monkeypatch):
    """The overview's counts and the default list come from each server's published counts
    and sorted set: they must agree with the records, across servers, as one dies."""
    names = ("a", "b", "c")
    registries = {name: make_registry(name) for name in names}
    base, made = time.time() - 100, {}
    for number in range(30):  # start times interleaved across the servers
        name = names[number % 3]
        each = record(
            f"/ws/{name}/{number}/",
            consumer="chat.Chat" if number % 2 else "chat.Lobby" if number % 3 else None,
            state="connecting" if number % 5 == 0 else "accepted",
            type="http" if number % 7 == 0 else "websocket",
            started=base + number,
            messages_in=number * 7 % 30,  # all different, not in start order
        )
        made[each.id] = (name, each)
        await registries[name].opened(each)
    reader = registries["a"]

    def expected(alive):
        records = [each for name, each in made.values() if name in alive]
        records.sort(key=lambda each: each.started, reverse=True)
        return records

    def matches(each, filters):
        return all(
            value in (each.consumer or "")
            if field == "consumer"
            else getattr(each, field) == value
            for field, value in filters.items()
        )

    def counts(records):
        by = {"type": {}, "consumer": {}, "state": {}}
        for each in records:
            for field, counted in by.items():
                key = getattr(each, field) or "-"
                counted[key] = counted.get(key, 0) + 1
        return by

    async def check(alive):
        records = expected(alive)
        summary = await reader.summary()
        assert summary["live"] == len(records)
        by = counts(records)
        assert summary["by_type"] == by["type"] and summary["by_state"] == by["state"]
        assert summary["by_consumer"] == by["consumer"]
        newest = await reader.connections(limit=7)
        assert newest["total"] == len(records)
        assert [c["id"] for c in newest["connections"]] == [r.id for r in records[:7]]
        oldest = await reader.connections(order="started", offset=3, limit=5)
        assert [c["id"] for c in oldest["connections"]] == [r.id for r in records[::-1][3:8]]
        scanned = await reader.connections(path="/ws/", limit=7)  # the general path agrees
        assert [c["id"] for c in scanned["connections"]] == [r.id for r in records[:7]]
        mine = await reader.connections(server="b", limit=100)
        assert [c["id"] for c in mine["connections"]] == [
            r.id for r in records if made[r.id][0] == "b"
        ]
        assert {c["server"] for c in newest["connections"]} <= set(alive)
        for filters in (
            {"state": "connecting"},
            {"type": "http"},
            {"state": "accepted"},
            {"type": "websocket", "state": "accepted"},  # the page's default type, and a state
            {"type": "http", "state": "connecting"},
            {"consumer": "chat."},  # from each consumer's own sets, two names here
            {"consumer": "Lobby", "type": "websocket"},
            {"consumer": "nobody"},
        ):
            chosen = [r.id for r in records if matches(r, filters)]
            found = await reader.connections(**filters, limit=4)
            assert found["total"] == len(chosen)
            assert [c["id"] for c in found["connections"]] == chosen[:4]
            for order in ("-messages_in", "messages_in"):  # from sorted sets by a counter
                by_count = sorted(
                    (r for r in records if r.id in chosen),
                    key=lambda r: r.messages_in,
                    reverse=order.startswith("-"),
                )
                for dropped in (redis_registry.MAX_DROPPED, 0):  # 0: the index is scanned
                    monkeypatch.setattr(redis_registry, "MAX_DROPPED", dropped)
                    found = await reader.connections(**filters, order=order, offset=1, limit=3)
                    assert found["total"] == len(chosen)
                    assert [c["id"] for c in found["connections"]] == [r.id for r in by_count[1:4]]

    await eventually(reader.summary, lambda s: s["live"] == 30)
    await check(names)

    name, gone = made.pop(expected(names)[0].id)  # the newest closes
    gone.state, gone.ended = "closed", time.time()
    await registries[name].closed(gone)
    await eventually(reader.summary, lambda s: s["live"] == 29)
    await check(names)

    name, accepted = next(made[r.id] for r in expected(names) if r.state == "connecting")
    accepted.state = "accepted"
    await registries[name].changed(accepted)
    await eventually(reader.summary, lambda s: s["by_state"]["connecting"] == 5)
    await check(names)

    lobby = [made[r.id] for r in expected(names) if r.consumer == "chat.Lobby"]
    for name, each in lobby[:2]:  # a layer above the consumer refused them
        each.consumer = None
        await registries[name].changed(each)
    name, gone = lobby[1]
    gone.state, gone.ended = "closed", time.time()
    await registries[name].closed(gone)  # in the same batch as the refusal, most likely
    made.pop(gone.id)
    count = len([r for r in expected(names) if r.consumer == "chat.Lobby"])
    await eventually(reader.summary, lambda s: s["by_consumer"].get("chat.Lobby") == count)
    await check(names)

    await registries["c"].stop()  # no more heartbeats, as after SIGKILL
    await eventually(reader.summary, lambda s: s["live"] == len(expected("ab")))
    await check("ab")  # at once, before it is reaped
    lost = len(expected("abc")) - len(expected("ab"))
    await eventually(lambda: reader.connections(live=False), lambda f: f["total"] == 2 + lost)
    await check("ab")  # and after


#: Values a filter meets in Redis as JSON text: escaped quotes and backslashes, non-ASCII
#: characters (escaped as \\uXXXX, an emoji as two), and Lua pattern characters.
TRICKY = ("café", 'say "hi"', "back\\slash", "50%-[off].", "😀 smile")


async def test_filters_match_exactly_whatever_the_characters(make_registry):
    """Filters are matched in Redis on the entries' JSON text first: what they find must be
    exactly what the memory registry's tests find, live and closed."""
    registry = make_registry("one")
    made = []
    for number in range(20):
        word = TRICKY[number % len(TRICKY)]
        each = record(
            f"/ws/{word}/{number}/",
            consumer=f"app.{word}" if number % 2 else "app.Plain",
            groups=[f"g{number % 3}", word],
            user=word if number % 4 == 0 else None,
            messages_in=number,
            type="http" if number % 6 == 0 else "websocket",
        )
        made.append(each)
        await registry.opened(each)
    ended = made[15:]
    for each in ended:
        each.state, each.ended = "closed", time.time()
        await registry.closed(each)
    await eventually(registry.summary, lambda s: s["live"] == 15 and s["closed"] == 5)

    def tested(each, path=None, consumer=None, group=None, user=None, type=None):
        return (
            (path is None or path in each.path)
            and (consumer is None or consumer in each.consumer)
            and (group is None or group in each.groups)
            and (user is None or each.user == user)
            and (type is None or each.type == type)
        )

    cases = [{"path": word} for word in TRICKY] + [
        {"path": "[off]."},
        {"path": "%"},
        {"path": "é/"},
        {"consumer": "app."},
        {"consumer": "😀"},
        {"group": "g1"},
        {"group": "g"},  # exact membership: no group is named "g"
        {"group": 'say "hi"'},
        {"user": "café"},
        {"user": "caf"},  # exact too
        {"path": "/ws/", "type": "http"},
        {"consumer": "say", "group": "g2"},
    ]
    for filters in cases:
        for live, records in ((True, made[:15]), (False, ended), (None, made)):
            found = await registry.connections(
                live=live, order="-messages_in", limit=100, **filters
            )
            expected = [each.id for each in records[::-1] if tested(each, **filters)]
            assert [c["id"] for c in found["connections"]] == expected, (filters, live)
            assert found["total"] == len(expected)
    by_path = await registry.connections(order="path", path="/ws/", limit=100)
    assert [c["path"] for c in by_path["connections"]] == sorted(r.path for r in made[:15])


async def test_a_connection_closed_within_one_batch_is_only_written_closed(
    make_registry, redis_client
):
    registry = make_registry("one")
    each = record("/ws/brief/", channel_name="specific.brief")
    await registry.opened(each)
    each.state, each.ended = "closed", time.time()
    await registry.closed(each)  # before the writer's first batch
    await eventually(registry.summary, lambda s: s["closed"] == 1)
    assert (await registry.get(each.id))["state"] == "closed"
    assert (await registry.connections())["total"] == 0
    assert not redis_client.keys("*:server:one:index") + redis_client.keys("*:channels")


async def test_redis_emptied_gets_the_live_connections_back(make_registry, redis_client):
    registry = make_registry("one")
    await open_many(registry, 4, "x")
    await eventually(registry.summary, lambda s: s["live"] == 4)
    redis_client.flushall()  # a restart without persistence
    emptied = time.monotonic()
    await eventually(registry.summary, lambda s: s["live"] == 4)
    assert time.monotonic() - emptied < 2 * HEARTBEAT + 1.0  # + reads under load
    assert (await registry.connections(limit=2))["total"] == 4  # the default page too
    assert (await registry.connections(consumer="chat.N"))["total"] == 2  # and a consumer's
    assert len((await registry.connections(limit=2))["connections"]) == 2


async def test_unreachable_redis_is_named_and_recording_goes_on(make_registry):
    url = "redis://user:hunter2@127.0.0.1:%d/0" % free_port()
    registry = make_registry("one", url=url)
    started = time.monotonic()
    for number in range(50):
        made = record(f"/ws/{number}/")
        await registry.opened(made)
        await registry.decided(Decision(made))
    assert time.monotonic() - started < 0.5  # nothing awaited Redis
    with pytest.raises(RegistryUnavailable) as raised:
        await registry.summary()
    message = str(raised.value)
    assert "Redis at redis://user:***@127.0.0.1:" in message and "hunter2" not in message
    assert len(registry.live) == 50


def test_urls_from_the_layer_and_hidden_passwords():
    layer = "channels_redis.core.RedisChannelLayer"
    assert layer_redis_url({"default": {"BACKEND": layer, "CONFIG": {"hosts": ["redis://r:1/2"]}}})
    assert (
        layer_redis_url({"default": {"BACKEND": layer, "CONFIG": {"hosts": [("h", 6380)]}}})
        == "redis://h:6380/0"
    )
    hosts = [{"address": "redis://:pw@h:1/0", "socket_timeout": 30}]
    assert layer_redis_url({"default": {"BACKEND": layer, "CONFIG": {"hosts": hosts}}}) == (
        "redis://:pw@h:1/0"
    )
    assert (
        layer_redis_url({"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}) is None
    )
    assert hide_password("redis://:pw@h:1/0") == "redis://:***@h:1/0"
    assert hide_password("redis://h:1/0") == "redis://h:1/0"


def test_check_requires_a_redis_url(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.CHANNELS_ADMIN = {"REGISTRY": "channels_admin.registry.redis.RedisRegistry"}
    with pytest.raises(SystemCheckError, match=r"CHANNELS_ADMIN\['REDIS_URL'\] is required"):
        call_command("check")
    settings.CHANNELS_ADMIN = {
        "REGISTRY": "channels_admin.registry.redis.RedisRegistry",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "HEARTBEAT": 0.5,
    }
    call_command("check")
    settings.CHANNELS_ADMIN = {"HEARTBEAT": 0}
    with pytest.raises(SystemCheckError, match="HEARTBEAT"):
        call_command("check")


def test_a_decision_written_from_its_record_reads_as_decision_as_dict():
    from channels_admin.registry.redis_writer import decision_dict

    made = record("/ws/x/", outcome="miss", error="RouteNotFound: no route")
    decision = Decision(made)
    assert decision_dict(decision, made.as_dict()) == decision.as_dict()
