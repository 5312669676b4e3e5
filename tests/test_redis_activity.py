"""What a server of the Redis registry publishes of its activity, against a real redis-server:
put back after Redis lost it, bounded by the window, a dead server's buckets kept as history
while its live count ends, and Redis unreachable named. (Several servers summed, through real
daphne workers: tests/test_cluster_activity.py.)"""

import time

import pytest
from django.test import override_settings

from channels_admin.recorder.activity import get_activity
from channels_admin.registry.base import RegistryUnavailable
from tests.conftest import free_port
from tests.test_redis_registry import (  # noqa: F401
    HEARTBEAT,
    eventually,
    make_registry,
    record,
)

pytestmark = pytest.mark.redis
WINDOW = 2


@pytest.fixture
def one_second_buckets():
    """Fresh activity counters in one-second buckets over a few seconds."""
    with override_settings(CHANNELS_ADMIN={"ACTIVITY_BUCKET": 1, "ACTIVITY_WINDOW": WINDOW}):
        yield


def did(connects=0, messages_in=0, consumer="chat.Chat"):
    """Count on this process's activity as the recorder does."""
    tally = get_activity().tally(consumer)
    tally.activity.roll(time.time())
    tally.connects += connects
    tally.messages_in += messages_in


def summed(activity, field):
    return sum(point[field] for point in activity["series"])


async def test_a_server_puts_its_activity_and_totals_back_after_redis_lost_them(
    one_second_buckets,
    make_registry,  # noqa: F811
    redis_client,
):
    registry = make_registry("one")
    did(connects=2, messages_in=5)
    await registry.opened(record("/ws/a/", consumer="chat.Chat"))

    def published(activity):
        return summed(activity, "connects") == 2 and summed(activity, "messages_in") == 5

    first = await eventually(lambda: registry.activity(server="one"), published)
    counted_in = [point["t"] for point in first["series"] if point["connects"]]

    async def stored():
        return _buckets(redis_client, registry.keys.activity("one"))

    # A later bucket published: the next beat writes only from that one on.
    await eventually(stored, lambda found: found[-1] > counted_in[-1])
    redis_client.flushall()  # a restart without persistence
    found = await eventually(lambda: registry.activity(server="one"), published)
    assert found["bucket"] == 1 and found["series"][-1]["live"] == 2
    metrics = await eventually(registry.metrics, lambda found: found["live"])
    assert metrics["live"] == [
        {"type": "websocket", "consumer": "chat.Chat", "server": "one", "count": 1}
    ]
    assert metrics["totals"]["connects"] == 2 and metrics["totals"]["messages_in"] == 5
    elsewhere = await registry.activity(consumer="chat.Other")
    assert summed(elsewhere, "connects") == 0 and elsewhere["series"][-1]["live"] == 0


async def test_a_server_keeps_only_the_window_in_redis(
    one_second_buckets,
    make_registry,  # noqa: F811
    redis_client,
):
    registry = make_registry("one")
    await registry.opened(record("/ws/a/"))
    key = registry.keys.activity("one")
    by_consumer = registry.keys.consumer_activity("one", "chat.Chat")

    async def stored():
        return _buckets(redis_client, key)

    start = min(await eventually(stored, bool))

    async def trimmed():
        did(messages_in=1)  # a mark in every bucket
        found = _buckets(redis_client, key)
        assert len(found) <= WINDOW + 1
        assert len(_buckets(redis_client, by_consumer)) <= WINDOW + 1
        return found

    await eventually(trimmed, lambda found: found and min(found) > start)
    series = (await registry.activity())["series"]
    assert len(series) <= WINDOW


def _buckets(client, key):
    return sorted(int(t) for t in client.hkeys(key))


async def test_a_dead_servers_buckets_stay_history_and_its_live_count_ends(
    one_second_buckets,
    make_registry,  # noqa: F811
):
    gone = make_registry("gone")
    did(connects=3)
    await gone.opened(record("/ws/a/"))
    await eventually(lambda: gone.activity(server="gone"), lambda a: summed(a, "connects") == 3)
    await gone.stop()  # its heartbeat ends, as a SIGKILLed worker's would
    ended = await eventually(
        lambda: gone.activity(server="gone"),
        lambda a: a["series"][-1]["live"] == 0 and a["series"][-1]["t"] > time.time() - 1,
        timeout=2 * HEARTBEAT + 5,
    )
    assert summed(ended, "connects") == 3
    assert max(point["live"] for point in ended["series"]) == 3
    metrics = await eventually(gone.metrics, lambda found: not found["live"])
    assert metrics["totals"]["connects"] == 3  # a dead server's counters do not go backwards


async def test_unreachable_redis_is_named_by_activity_and_metrics(make_registry):  # noqa: F811
    registry = make_registry("one", url="redis://:hunter2@127.0.0.1:%d/0" % free_port())
    for read in (registry.activity, registry.metrics):
        with pytest.raises(RegistryUnavailable, match=r"Redis at redis://:\*\*\*@") as raised:
            await read()
        assert "hunter2" not in str(raised.value)
