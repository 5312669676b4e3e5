"""The Redis registry's writer: one background task per process that keeps Redis current.

The recorder's calls only note what changed (a dict assignment, never an await on Redis); the
writer wakes, waits a moment for more, and sends the batch in one pipeline. Every
``HEARTBEAT`` it renews this server's entry and the counters of the connections active since
the last beat, publishes this server's activity (:mod:`.redis_activity`), and moves the
connections of servers found dead to the closed ones (``lost``).
When Redis fails it backs off and retries (logging once); when Redis is back, even empty, it
puts this worker's live connections back.
"""

import asyncio
import json
import logging
import time

from channels_admin.registry.base import LIVE_STATES
from channels_admin.registry.redis_activity import Publisher
from channels_admin.registry.redis_store import (
    ENTRY_FIELDS,
    RANKED_FIELDS,
    SUBSETS,
    Keys,
    connect,
    dumps,
    entry_fields,
    hide_password,
    index_entry,
    live_counts,
)

logger = logging.getLogger("channels_admin.registry")

#: Changes waiting for Redis, at most: beyond, a change is counted as dropped (the live ones
#: come back with the next resync).
MAX_PENDING = 10_000
#: How long the writer waits for more changes before sending a batch: a connection that
#: opens and closes within it costs one write, and a busy worker one round trip per batch.
BATCH_DELAY = 0.25
#: How long a socket's routing decision waits for its handshake to end (see held_back()).
HANDSHAKE_WAIT = 2.0
#: Seconds a write may take before the writer counts Redis as failing.
WRITE_TIMEOUT = 5.0
#: How long a dead server stays on the servers page.
FORGET_DEAD_SERVERS = 3600
#: Trims the closed connections (sorted set KEYS[1], hashes KEYS[2] and KEYS[3]) to ARGV[1],
#: in the batch's own round trip.
TRIM_CLOSED = """
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[1])
if excess <= 0 then return 0 end
local old = redis.call('ZRANGE', KEYS[1], 0, math.min(excess, 5000) - 1)
redis.call('ZREM', KEYS[1], unpack(old))
redis.call('HDEL', KEYS[2], unpack(old))
redis.call('HDEL', KEYS[3], unpack(old))
return #old
"""
#: Live records rebuilt per turn of the event loop during a resync.
RESYNC_CHUNK = 200


class Writer:
    """Batches the registry's changes to Redis, on the loop it was started on."""

    def __init__(self, registry, server):
        self.registry = registry
        self.server = server  # this_server()
        self.keys = Keys(registry.prefix)
        self.heartbeat = registry.heartbeat
        self.loop = asyncio.get_running_loop()
        self.live = {}  # record id -> Record: to write (again)
        self.closed = {}  # record id -> Record
        self.fresh = set()  # ids opened since the last batch: not yet among the live keys
        self.consumers = set()  # consumers that have sorted sets on this server (of_consumer)
        self.decisions = []
        self.dropped = 0
        self.resync = True  # put every live record back at the next beat
        self.failing = False
        self.counted_at = 0.0
        self.wake = asyncio.Event()
        self.client = None
        self.activity = Publisher(self.keys, server["id"], FORGET_DEAD_SERVERS)
        self.task = self.loop.create_task(self.run(), name="channels_admin Redis writer")

    # Called on the connection's path: no await, bounded.

    def opened(self, record):
        self.fresh.add(record.id)
        self.updated(record)

    def updated(self, record):
        if record.id not in self.live and self.full():
            return
        self.live[record.id] = record
        self.wake.set()

    def removed(self, record):
        self.live.pop(record.id, None)
        if self.full():
            return
        self.closed[record.id] = record
        self.wake.set()

    def decided(self, decision):
        if self.full():
            return
        self.decisions.append(decision)
        self.wake.set()

    def full(self):
        if len(self.live) + len(self.closed) + len(self.decisions) < MAX_PENDING:
            return False
        self.dropped += 1
        self.resync = True
        return True

    # The task.

    async def run(self):
        delay = BATCH_DELAY
        next_beat = 0.0
        while True:
            try:
                if self.client is None:
                    self.client = connect(self.registry.url, WRITE_TIMEOUT)
                if time.monotonic() >= next_beat:
                    next_beat = time.monotonic() + self.heartbeat
                    await self.beat()
                await self.flush()
                if self.failing:
                    self.failing = False
                    logger.warning("channels_admin: Redis at %s answers again.", self.where())
                delay = BATCH_DELAY
                await self.sleep(next_beat - time.monotonic())
            except Exception as exc:
                if self.task.cancelling():  # redis-py turned our cancellation into an error
                    raise asyncio.CancelledError from exc
                self.failed(exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.heartbeat)
                next_beat = 0.0

    async def sleep(self, timeout):
        try:
            async with asyncio.timeout(max(0.0, timeout)):
                await self.wake.wait()
        except TimeoutError:
            return
        self.wake.clear()
        await asyncio.sleep(BATCH_DELAY)

    def failed(self, exc):
        if not self.failing:
            self.failing = True
            logger.error(
                "channels_admin: Redis at %s failed (%s); connections are served normally, "
                "the dashboard shows this worker again when Redis is back.",
                self.where(),
                exc,
            )
        self.resync = True
        client, self.client = self.client, None
        if client is not None:
            self.loop.create_task(_close_quietly(client))

    def where(self):
        return hide_password(self.registry.url)

    async def stop(self):
        self.task.cancel()
        try:
            await self.task
        except asyncio.CancelledError:
            pass
        if self.client is not None:
            await self.client.aclose()

    # Writes.

    async def flush(self):
        if not (self.live or self.closed or self.decisions):
            return
        live, closed, fresh = self.live, self.closed, self.fresh
        decisions, self.decisions = held_back(self.decisions, time.time())
        self.live, self.closed, self.fresh = {}, {}, set()
        keys, server = self.keys, self.server["id"]
        pipe = self.client.pipeline(transaction=False)
        serialized = {}  # record id -> as_dict(): wording a trace is the costly part, once
        try:
            write_live(pipe, keys, server, live.values(), self.consumers, serialized)
            if closed:  # one command per key for the whole batch
                written = [r for id, r in closed.items() if id not in fresh]
                if written:  # not those that opened and closed within this batch
                    ids = [r.id for r in written]
                    pipe.hdel(keys.index(server), *ids)
                    pipe.hdel(keys.records(server), *ids)
                    for key in keys.every_sorted(server):
                        pipe.zrem(key, *ids)
                    leave_consumers(pipe, keys, server, written, self.consumers)
                    channels = [r.channel_name for r in written if r.channel_name]
                    if channels:
                        pipe.hdel(keys.channels(server), *channels)
                pipe.hset(
                    keys.closed_index,
                    mapping={id: dumps(index_entry(r, server)) for id, r in closed.items()},
                )
                pipe.hset(
                    keys.closed_records,
                    mapping={id: dumps(as_dict(r, serialized)) for id, r in closed.items()},
                )
                pipe.zadd(
                    keys.closed_order,
                    {id: record.ended or time.time() for id, record in closed.items()},
                )
                trim_closed(pipe, keys, self.registry.max_closed)
            if live or closed:
                write_counts(pipe, keys, server, self.registry.live.values())
            if decisions:
                pipe.lpush(
                    keys.decisions,
                    *(dumps(decision_dict(d, as_dict(d.record, serialized))) for d in decisions),
                )
                pipe.lpush(keys.outcomes, *(d.outcome or "" for d in decisions))
                keep = self.registry.max_decisions
                pipe.ltrim(keys.decisions, 0, keep - 1)
                pipe.ltrim(keys.outcomes, 0, keep - 1)
            await pipe.execute()
        except BaseException:
            self.dropped += len(closed) + len(decisions)
            raise

    async def beat(self):
        """Renew this server's entry and counters; put everything back if Redis lost it."""
        keys, server = self.keys, self.server["id"]
        servers = await self.client.hgetall(keys.servers)
        mine = servers.pop(server.encode(), None)
        if self.resync or mine is None or json.loads(mine).get("lost"):
            await self.put_back()
        now = time.time()
        counted_at, self.counted_at = self.counted_at, now
        pipe = self.client.pipeline(transaction=False)
        entry = {
            **self.server,
            "last_seen": now,
            "heartbeat": self.heartbeat,
            "live": len(self.registry.live),
            "dropped": self.dropped,
        }
        pipe.hset(keys.servers, server, dumps(entry))
        active = [
            record
            for record in list(self.registry.live.values())
            if record.last_activity >= counted_at and record.id not in self.live
        ]
        if active:
            pipe.hset(
                keys.index(server),
                mapping={r.id: dumps(index_entry(r, server)) for r in active},
            )
            write_ranks(pipe, keys, server, active)
        ttl = max(60, int(self.heartbeat * 20))
        for key in (*keys.live(server), *keys.of_consumers(server, self.consumers)):
            pipe.expire(key, ttl)
        self.activity.publish(pipe, self.registry.live.values(), now)
        await pipe.execute()
        for other, raw in servers.items():
            await self.reap(other.decode(), json.loads(raw), now)

    async def put_back(self):
        """Write every live record of this worker again, as if Redis had never seen them."""
        self.resync = False
        self.activity.lost()
        keys, server = self.keys, self.server["id"]
        records = list(self.registry.live.values())
        self.live, self.fresh = {}, set()
        named = await self.client.smembers(keys.consumers(server))
        consumers = self.consumers | {name.decode() for name in named}  # their sets go too
        self.consumers = set()  # write_live() names them again
        pipe = self.client.pipeline(transaction=False)
        pipe.delete(*keys.live(server), *keys.of_consumers(server, consumers))
        write_counts(pipe, keys, server, records)
        if records:  # taken for lost while this worker was cut off: live again
            ids = [record.id for record in records]
            pipe.zrem(keys.closed_order, *ids)
            pipe.hdel(keys.closed_index, *ids)
            pipe.hdel(keys.closed_records, *ids)
        for start in range(0, len(records), RESYNC_CHUNK):
            write_live(pipe, keys, server, records[start : start + RESYNC_CHUNK], self.consumers)
            await asyncio.sleep(0)  # the connections of this worker come first
        await pipe.execute()

    async def reap(self, server, entry, now):
        """Move the live connections of a dead server to the closed ones, as ``lost``."""
        age = now - entry["last_seen"]
        if age > FORGET_DEAD_SERVERS:
            await self.client.hdel(self.keys.servers, server)
            return
        if entry.get("lost") or age <= 2 * entry["heartbeat"]:
            return
        keys = self.keys
        claim = keys.reaping(server, entry["last_seen"])
        if not await self.client.set(claim, 1, nx=True, ex=FORGET_DEAD_SERVERS):
            return  # another worker does it
        index = await self.client.hgetall(keys.index(server))
        records = await self.client.hgetall(keys.records(server))
        consumers = [name.decode() for name in await self.client.smembers(keys.consumers(server))]
        pipe = self.client.pipeline(transaction=False)
        for id, raw in index.items():
            lost = {"state": "closed", "closed_by": "lost", "ended": entry["last_seen"]}
            fields = {**entry_fields(json.loads(raw)), **lost}
            pipe.hset(keys.closed_index, id, dumps([fields[name] for name in ENTRY_FIELDS]))
            if id in records:
                pipe.hset(keys.closed_records, id, dumps({**json.loads(records[id]), **lost}))
            pipe.zadd(keys.closed_order, {id: entry["last_seen"]})
        pipe.delete(*keys.live(server), *keys.of_consumers(server, consumers))
        pipe.hset(keys.servers, server, dumps({**entry, "lost": True, "live": 0}))
        trim_closed(pipe, keys, self.registry.max_closed)
        await pipe.execute()


def write_live(pipe, keys, server, records, consumers, serialized=None):
    """Queue the index entries, full records and channel names of live ``records``, and
    their places in the sorted sets (``consumers``: see :func:`join_consumers`)."""
    records = list(records)
    if not records:
        return
    pipe.hset(
        keys.index(server),
        mapping={r.id: dumps(index_entry(r, server)) for r in records},
    )
    pipe.hset(
        keys.records(server),
        mapping={r.id: dumps(as_dict(r, serialized)) for r in records},
    )
    pipe.zadd(keys.started(server), {r.id: r.started for r in records})
    alike = {}  # (type, state) -> {id: started}
    for r in records:
        alike.setdefault((r.type, r.state), {})[r.id] = r.started
    for (type, state), started in alike.items():
        by_type, by_state = ("type", type), ("state", state)
        for subset in ((by_type,), (by_state,), (by_type, by_state)):
            if subset in SUBSETS:
                pipe.zadd(keys.started(server, subset), started)
        for other in LIVE_STATES:  # a connection changes state, never type
            if other != state:
                pipe.zrem(keys.started(server, (("state", other),)), *started)
                pipe.zrem(keys.started(server, (by_type, ("state", other))), *started)
    write_ranks(pipe, keys, server, records)
    join_consumers(pipe, keys, server, records, consumers)
    channels = {r.channel_name: r.id for r in records if r.channel_name}
    if channels:
        pipe.hset(keys.channels(server), mapping=channels)


def join_consumers(pipe, keys, server, records, consumers):
    """Queue live ``records`` into the sorted sets of their consumers; ``consumers`` holds the
    names this server has sets for, and gains the new ones (named in Redis too)."""
    owned, unowned = {}, []  # (type, consumer) -> {id: started}; records with no consumer
    for r in records:
        if r.consumer:
            owned.setdefault((r.type, r.consumer), {})[r.id] = r.started
        else:
            unowned.append(r)
    for (type, consumer), started in owned.items():
        if consumer not in consumers:
            consumers.add(consumer)
            pipe.sadd(keys.consumers(server), consumer)
        for key in keys.of_consumer(server, consumer, (type,)):
            pipe.zadd(key, started)
    leave_consumers(pipe, keys, server, unowned, consumers)


def leave_consumers(pipe, keys, server, records, consumers):
    """Queue ``records`` out of their consumers' sorted sets; out of every consumer's when
    they have none now (a refusal by a layer above the consumer takes it away)."""
    owned, unowned = {}, []
    for r in records:
        if r.consumer:
            owned.setdefault((r.type, r.consumer), []).append(r.id)
        else:
            unowned.append(r.id)
    for (type, consumer), ids in owned.items():
        for key in keys.of_consumer(server, consumer, (type,)):
            pipe.zrem(key, *ids)
    if unowned:
        for key in keys.of_consumers(server, consumers):
            pipe.zrem(key, *unowned)


def write_ranks(pipe, keys, server, records):
    """Queue the scores of live ``records`` in the sorted sets by each of RANKED_FIELDS."""
    for field in RANKED_FIELDS:
        pipe.zadd(keys.ranked(server, field), {r.id: getattr(r, field) for r in records})


def write_counts(pipe, keys, server, records):
    """Queue the overview's counts of this server's live ``records``: a pass over them
    in the writer (no memory per connection), so a read sums a key per server."""
    pipe.set(keys.counts(server), dumps(live_counts(records)), keepttl=True)


def trim_closed(pipe, keys, keep):
    pipe.eval(TRIM_CLOSED, 3, keys.closed_order, keys.closed_index, keys.closed_records, keep)


def as_dict(record, serialized):
    if serialized is None:
        return record.as_dict()
    found = serialized.get(record.id)
    if found is None:
        found = serialized[record.id] = record.as_dict()
    return found


def held_back(decisions, now):
    """``(to write now, to keep)``: a socket's decision waits while its handshake is open (for
    ``HANDSHAKE_WAIT`` seconds at most), since a refusal found then turns its ``hit`` into
    ``refused``, and a decision once written is not rewritten."""
    ready, waiting = [], []
    for decision in decisions:
        record = decision.record
        handshaking = record.type == "websocket" and record.state == "connecting"
        if handshaking and now - record.started < HANDSHAKE_WAIT:
            waiting.append(decision)
        else:
            ready.append(decision)
    return ready, waiting


def decision_dict(decision, record):
    """``decision.as_dict()``, from its record's JSON (``record``) rather than anew."""
    if getattr(decision, "route", None) is not None:  # an action miss has its own steps
        return decision.as_dict()
    return {
        "connection": record["id"],
        "time": record["started"],
        "type": record["type"],
        "path": record["path"],
        "outcome": decision.outcome,
        "consumer": record["consumer"],
        "kwargs": record["kwargs"],
        "error": decision.error,
        "refused_by": record["refused_by"],
        "refusal": record["refusal"],
        "nearest": record["nearest"] if decision.outcome == "miss" else None,
        "action": None,
        "route": None,
        "steps": record["trace"],
    }


async def _close_quietly(client):
    try:
        await client.aclose()
    except Exception:
        pass
