"""The cluster's registry: every worker's connections and decisions in one Redis.

``CHANNELS_ADMIN = {"REGISTRY": "channels_admin.registry.redis.RedisRegistry"}`` (the
``redis`` extra). The recorder's calls never await Redis: they hand the change to this
process's writer (:mod:`channels_admin.registry.redis_writer`). Reads ask Redis each time,
for the whole cluster, through a short-lived client of the caller's own event loop, and raise
:class:`~channels_admin.registry.base.RegistryUnavailable` naming Redis when it cannot answer.
"""

import asyncio
import gc
import json
import time
from contextlib import contextmanager

from django.core.exceptions import ImproperlyConfigured
from redis.exceptions import RedisError

from channels_admin.conf import app_settings
from channels_admin.registry.base import ORDER_FIELDS, Registry, RegistryUnavailable, live_rows
from channels_admin.registry.redis_activity import points, summed_metrics, summed_series
from channels_admin.registry.redis_store import (
    AT,
    RANKED_FIELDS,
    SUBSETS,
    Keys,
    connect,
    dumps,
    entry_fields,
    hide_password,
    layer_redis_url,
)
from channels_admin.registry.redis_writer import Writer
from channels_admin.registry.servers import this_server

#: Seconds a read may take before the page says Redis is unavailable.
READ_TIMEOUT = 2.0
#: Connections outside a filter that a list ordered by a RANKED_FIELDS field reads and drops,
#: at most; beyond, it scans the index.
MAX_DROPPED = 2000
#: The entries of the index hash KEYS[1] that contain every ARGV as plain text, as one JSON
#: array: Redis drops what a filter cannot match, and the page parses one reply, not one per
#: entry (thousands of replies cost more than the entries themselves).
MATCHING_ENTRIES = """
local found = {}
for _, entry in ipairs(redis.call('HVALS', KEYS[1])) do
  local keep = true
  for i = 1, #ARGV do
    if not string.find(entry, ARGV[i], 1, true) then
      keep = false
      break
    end
  end
  if keep then
    found[#found + 1] = entry
  end
end
return '[' .. table.concat(found, ',') .. ']'
"""


class RedisRegistry(Registry):
    """Connections of every worker sharing ``REDIS_URL``; each worker is a *server*."""

    def __init__(self, url=None, prefix=None, heartbeat=None, server=None):
        settings = app_settings()
        self.server = server  # this_server() unless given (tests, benchmarks)
        self.url = url or settings["REDIS_URL"] or default_url()
        self.prefix = prefix or settings["REDIS_PREFIX"]
        self.heartbeat = heartbeat or settings["HEARTBEAT"]
        self.max_closed = settings["MAX_CLOSED_CONNECTIONS"]
        self.max_decisions = settings["MAX_DECISIONS"]
        self.keys = Keys(self.prefix)
        self.live = {}  # this worker's live records, by id: what a resync puts back
        self.writer = None

    def __repr__(self):
        return "<RedisRegistry %s prefix=%r>" % (hide_password(self.url), self.prefix)

    # Written by the recorder, on the server's loop: noted for the writer, never awaited.

    async def opened(self, record):
        self.live[record.id] = record
        self.current_writer().opened(record)

    async def changed(self, record):
        if record.id in self.live:
            self.current_writer().updated(record)

    async def closed(self, record):
        self.live.pop(record.id, None)
        self.current_writer().removed(record)

    async def decided(self, decision):
        self.current_writer().decided(decision)

    def current_writer(self):
        """This process's writer, started on the running loop (again, if that changed)."""
        writer = self.writer
        if writer is None or writer.loop is not asyncio.get_running_loop() or writer.task.done():
            writer = self.writer = Writer(self, self.server or this_server())
        return writer

    async def stop(self):
        """Stop the writer (tests; a server's loop just ends)."""
        if self.writer is not None:
            await self.writer.stop()
            self.writer = None

    # Read by the dashboard, the panel and the management command: the whole cluster.

    async def read(self, reader):
        """``await reader(client)`` with a client of this loop; Redis errors become
        RegistryUnavailable naming Redis and its URL (never its password)."""
        try:
            async with asyncio.timeout(READ_TIMEOUT * 2):
                async with connect(self.url, READ_TIMEOUT) as client:
                    return await reader(client)
        except (RedisError, OSError, TimeoutError) as exc:
            raise RegistryUnavailable(
                "Redis at %s is unreachable (%s: %s): the registry cannot be read."
                % (hide_password(self.url), type(exc).__name__, exc or "no answer in time")
            ) from None

    async def servers(self):
        return await self.read(self.read_servers)

    async def read_servers(self, client):
        now = time.time()
        servers = []
        for raw in (await client.hgetall(self.keys.servers)).values():
            entry = json.loads(raw)
            entry["alive"] = not entry.get("lost") and now - entry["last_seen"] <= (
                2 * entry["heartbeat"]
            )
            servers.append(entry)
        servers.sort(key=lambda entry: (not entry["alive"], entry["started"], entry["id"]))
        return servers

    async def alive(self, client, server=None):
        return [
            entry["id"]
            for entry in await self.read_servers(client)
            if entry["alive"] and (server is None or entry["id"] == server)
        ]

    async def get(self, connection_id):
        async def reader(client):
            keys = self.keys
            pipe = client.pipeline(transaction=False)
            for server in await self.alive(client):
                pipe.hget(keys.index(server), connection_id)
                pipe.hget(keys.records(server), connection_id)
            pipe.hget(keys.closed_index, connection_id)
            pipe.hget(keys.closed_records, connection_id)
            found = await pipe.execute()
            for index, record in zip(found[::2], found[1::2], strict=True):
                if record is not None:
                    return merged(record, index)
            return None

        return await self.read(reader)

    async def connections(
        self,
        *,
        live=True,
        type=None,
        path=None,
        consumer=None,
        group=None,
        state=None,
        user=None,
        server=None,
        order="-started",
        offset=0,
        limit=100,
    ):
        field = order.lstrip("-")
        if field not in ORDER_FIELDS:
            raise ValueError(
                "Cannot order connections by %r; use one of %s." % (order, ", ".join(ORDER_FIELDS))
            )

        subset = subset_of(type, state)
        if consumer:  # its sets are by start time, all types or one
            ranked = field == "started" and not state
        else:
            ranked = field == "started" or field in RANKED_FIELDS
        if live is True and ranked and subset is not None and not (path or group or user):
            descending = order.startswith("-")
            return await self.read(
                lambda client: self.ranked(
                    client, server, field, subset, consumer, descending, offset, limit
                )
            )
        filters = {"type": type, "state": state, "user": user, "path": path}
        filters.update(consumer=consumer, group=group)
        return await self.read(
            lambda client: self.scanned(client, live, server, filters, order, offset, limit)
        )

    async def ranked(self, client, server, field, subset, consumer, descending, offset, limit):
        """A live list ordered by ``field`` from each alive server's sorted sets of it:
        ``offset + limit`` ids per set, merged, then that page's records only.

        ``subset`` (see :func:`subset_of`) has sets of its own by start time, and so has
        each consumer whose name contains ``consumer``, of each type. By another field, each
        server's ids are read further by the number of its connections outside ``subset``,
        and those outside are dropped (or the index scanned when they are many).
        """
        keys = self.keys
        servers = await self.alive(client, server)
        sources = [(alive, subset) for alive in servers]  # (server, a subset with a set)
        if consumer:
            pipe = client.pipeline(transaction=False)
            for alive in servers:
                pipe.smembers(keys.consumers(alive))
            sources = [
                (alive, subset + (("consumer", name),))
                for alive, names in zip(servers, await pipe.execute(), strict=True)
                for name in map(bytes.decode, names)
                if consumer in name
            ]
        pipe = client.pipeline(transaction=False)
        for alive, chosen in sources:
            pipe.zcard(keys.started(alive))
            pipe.zcard(keys.started(alive, chosen))
        sizes = await pipe.execute() if sources else []
        outside = [every - inside for every, inside in zip(sizes[::2], sizes[1::2], strict=True)]
        if field == "started":
            outside = [0] * len(sources)
        elif sum(outside) > MAX_DROPPED:
            filters = dict(subset)
            order = "-" + field if descending else field
            return await self.scanned(client, True, server, filters, order, offset, limit)
        pipe = client.pipeline(transaction=False)
        for (alive, chosen), beyond in zip(sources, outside, strict=True):
            key = keys.started(alive, chosen) if field == "started" else keys.ranked(alive, field)
            pipe.zrange(key, 0, offset + limit + beyond - 1, desc=descending, withscores=True)
        found = await pipe.execute() if sources else []
        firsts = [
            (score, id.decode(), alive)
            for (alive, _), ranked in zip(sources, found, strict=True)
            for id, score in ranked
        ]
        if any(outside):
            pipe = client.pipeline(transaction=False)
            for _, id, alive in firsts:
                pipe.zscore(keys.started(alive, subset), id)
            inside = await pipe.execute()
            firsts = [
                first for first, score in zip(firsts, inside, strict=True) if score is not None
            ]
        firsts.sort(reverse=descending)
        page = firsts[offset : offset + limit]
        pipe = client.pipeline(transaction=False)
        for _, id, alive in page:
            pipe.hget(keys.index(alive), id)
            pipe.hget(keys.records(alive), id)
        found = await pipe.execute() if page else []
        return {
            "total": sum(sizes[1::2]),
            "connections": [
                merged(record, index)
                for index, record in zip(found[::2], found[1::2], strict=True)
                if record is not None  # closed since the ids were read
            ],
        }

    async def scanned(self, client, live, server, filters, order, offset, limit):
        """A list read from the whole index (entries matching ``filters`` first picked out
        by Redis), filtered, sorted and paged here."""
        texts = needles(**filters)
        found = await self.entries(client, live, server, texts)
        test = entry_test(**filters)
        with collector_paused():  # thousands of lists and sort keys, and no cycle
            if test is not None:
                found = [entry for entry in found if test(entry)]
            page = sorted_entries(found, order)[offset : offset + limit]
        return {"total": len(found), "connections": await self.records(client, page)}

    async def entries(self, client, live, server=None, texts=()):
        """Index entries: live ones of the alive servers (``live=True``), closed ones
        (``False``) or both (``None``); only those whose JSON contains each of ``texts``
        (see :func:`needles`), and maybe a few more: the caller tests the fields."""
        keys = self.keys
        matching = client.register_script(MATCHING_ENTRIES)
        pipe = client.pipeline(transaction=False)
        if live is not False:
            for alive in await self.alive(client, server):
                await matching(keys=[keys.index(alive)], args=texts, client=pipe)
        if live is not True:
            await matching(keys=[keys.closed_index], args=texts, client=pipe)
        found = await pipe.execute()
        with collector_paused():
            entries = [entry for matched in found for entry in json.loads(matched)]
        if live is not True and server is not None:
            entries = [entry for entry in entries if entry[AT["server"]] == server]
        return entries

    async def records(self, client, entries):
        """The full records of ``entries`` (live ones first, then closed), counters fresh."""
        keys = self.keys
        pipe = client.pipeline(transaction=False)
        for entry in entries:
            pipe.hget(keys.records(entry[AT["server"]]), entry[AT["id"]])
            pipe.hget(keys.closed_records, entry[AT["id"]])
        found = await pipe.execute()
        return [
            merged(live or closed, entry)
            for entry, live, closed in zip(entries, found[::2], found[1::2], strict=True)
            if live or closed
        ]

    async def decisions(
        self, *, outcome=None, path=None, consumer=None, problems=False, offset=0, limit=100
    ):
        outcomes = (outcome,) if isinstance(outcome, str) else outcome

        async def reader(client):
            found = []
            for raw in await client.lrange(self.keys.decisions, 0, -1):
                decision = json.loads(raw)
                if (
                    (not outcomes or decision["outcome"] in outcomes)
                    and (not problems or is_problem(decision))
                    and (not path or path in (decision["path"] or ""))
                    and (not consumer or consumer in (decision["consumer"] or ""))
                ):
                    found.append(decision)
            return {"total": len(found), "decisions": found[offset : offset + limit]}

        return await self.read(reader)

    async def summary(self):
        async def reader(client):
            live, by_type, by_consumer, by_state, outcomes = 0, {}, {}, {}, {}
            pipe = client.pipeline(transaction=False)
            pipe.zcard(self.keys.closed_order)
            pipe.lrange(self.keys.outcomes, 0, -1)
            for server in await self.alive(client):
                pipe.get(self.keys.counts(server))
            closed, recent, *published = await pipe.execute()
            for raw in published:  # each alive server's counts, as of its last write
                if raw is None:
                    continue
                counts = json.loads(raw)
                live += counts["live"]
                for name, summed in (
                    ("by_type", by_type),
                    ("by_consumer", by_consumer),
                    ("by_state", by_state),
                ):
                    for key, count in counts[name].items():
                        summed[key] = summed.get(key, 0) + count
            for outcome in recent:
                _count(outcomes, outcome.decode())
            return {
                "live": live,
                "closed": closed,
                "by_type": by_type,
                "by_consumer": by_consumer,
                "by_state": by_state,
                "decisions": len(recent),
                "outcomes": outcomes,
            }

        return await self.read(reader)

    async def connection_ids(self, channel_names):
        names = list(channel_names)
        if not names:
            return {}

        async def reader(client):
            pipe = client.pipeline(transaction=False)
            for server in await self.alive(client):
                pipe.hmget(self.keys.channels(server), names)
            ids = {}
            for found in await pipe.execute():
                for name, id in zip(names, found, strict=True):
                    if id is not None:
                        ids[name] = id.decode()
            return ids

        return await self.read(reader)

    async def activity(self, *, consumer=None, server=None):
        """The activity the servers published at their heartbeats, summed (see
        :mod:`channels_admin.registry.redis_activity`), or that of ``server``."""
        settings = app_settings()
        bucket, window = settings["ACTIVITY_BUCKET"], settings["ACTIVITY_WINDOW"]
        keys = self.keys

        async def reader(client):
            servers = [
                entry
                for entry in await self.read_servers(client)
                if server is None or entry["id"] == server
            ]
            pipe = client.pipeline(transaction=False)
            if consumer is None:
                for entry in servers:
                    pipe.hgetall(keys.activity(entry["id"]))
                return servers, list(zip(servers, await pipe.execute(), strict=True))
            for entry in servers:
                pipe.smembers(keys.activity_consumers(entry["id"]))
            wanted = []
            for entry, names in zip(servers, await pipe.execute(), strict=True):
                matching = [name for name in map(bytes.decode, names) if consumer in name]
                if matching and len(matching) == len(names):  # all of them: read their sum
                    found = [keys.activity(entry["id"])]
                else:
                    found = [keys.consumer_activity(entry["id"], name) for name in matching]
                for key in found:
                    pipe.hgetall(key)
                    wanted.append(entry)
            return servers, list(zip(wanted, await pipe.execute(), strict=True))

        servers, found = await self.read(reader)
        last = int(time.time() // bucket) * bucket
        first = last - (max(1, window // bucket) - 1) * bucket
        streams = [(entry, points(raw, first)) for entry, raw in found]
        series = summed_series(servers, streams, bucket, first, last)
        return {"bucket": bucket, "series": series}

    async def metrics(self):
        """Totals of every server still listed, and live connections of the alive ones, as
        they published them at their last heartbeat."""

        async def reader(client):
            servers = await self.read_servers(client)
            pipe = client.pipeline(transaction=False)
            for entry in servers:
                pipe.get(self.keys.metrics(entry["id"]))
            return list(zip(servers, await pipe.execute(), strict=True))

        live, totals = summed_metrics(await self.read(reader))
        return {"live": live_rows(live), "totals": totals}

    async def clear(self):
        async def reader(client):
            keys = [key async for key in client.scan_iter(match=self.prefix + ":*")]
            if keys:
                await client.delete(*keys)

        await self.read(reader)


def default_url():
    """The channel layer's Redis, when ``REDIS_URL`` is not set."""
    from django.conf import settings

    url = layer_redis_url(getattr(settings, "CHANNEL_LAYERS", None))
    if url is None:
        raise ImproperlyConfigured(
            "CHANNELS_ADMIN['REDIS_URL'] is required for the Redis registry: "
            'CHANNEL_LAYERS["default"] is not a channels_redis layer to take it from.'
        )
    return url


def subset_of(type, state):
    """The subset (see :data:`~.redis_store.SUBSETS`) whose sorted set answers a live list
    filtered on ``type`` and ``state`` (``()`` unfiltered), or None when none does."""
    subset = tuple((field, value) for field, value in (("type", type), ("state", state)) if value)
    return subset if not subset or subset in SUBSETS else None


@contextmanager
def collector_paused():
    """Pause the cyclic garbage collector while thousands of index entries are parsed: it
    would run dozens of times over new lists that hold no cycle, and take half the page's
    time. Left as found when something else had paused it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def needles(*, path=None, consumer=None, group=None, user=None, type=None, state=None):
    """What the JSON of an index entry must contain to pass these filters: a substring
    filter as the JSON text of its value (the escaping of a string's characters is that of
    each character, so a substring stays one), an exact one quoted. A type or a state is in
    most entries: not worth looking for there."""
    texts = [dumps(text)[1:-1] for text in (path, consumer) if text]
    texts += [dumps(text) for text in (group, user) if text]
    return texts


GROUPS = AT["groups"]


def entry_test(*, type=None, state=None, user=None, path=None, consumer=None, group=None):
    """A function telling whether an index entry passes the connections list's filters, or
    None when there is none."""
    exact = [
        (AT[name], value)
        for name, value in (("type", type), ("state", state), ("user", user))
        if value
    ]
    within = [
        (AT[name], value) for name, value in (("path", path), ("consumer", consumer)) if value
    ]
    if not (exact or within or group):
        return None

    def test(entry):
        for at, value in exact:
            if entry[at] != value:
                return False
        for at, value in within:
            if value not in (entry[at] or ""):
                return False
        return not group or group in entry[GROUPS]

    return test


def sorted_entries(entries, order):
    """``entries`` in the order ``order`` names (``"-field"``: descending), missing values
    last, as the memory registry orders records."""
    at = AT[order.lstrip("-")]
    return sorted(
        entries,
        key=lambda entry: (entry[at] is None, 0 if entry[at] is None else entry[at]),
        reverse=order.startswith("-"),
    )


def merged(record, index):
    """A stored full record with the fresher fields of its index entry over it."""
    record = json.loads(record)
    if index is not None:
        record.update(entry_fields(index if isinstance(index, list) else json.loads(index)))
    return record


def is_problem(decision):
    """Whether a decision's JSON is a miss, an error or a refusal (a consumer's own too)."""
    return decision["outcome"] not in ("hit", "stopped") or bool(decision.get("refused_by"))


def _count(counts, key):
    counts[key] = counts.get(key, 0) + 1
