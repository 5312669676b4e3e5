"""The cluster's registry: every worker's connections and decisions in one Redis.

``CHANNELS_ADMIN = {"REGISTRY": "channels_admin.registry.redis.RedisRegistry"}`` (the
``redis`` extra). The recorder's calls never await Redis: they hand the change to this
process's writer (:mod:`channels_admin.registry.redis_writer`). Reads ask Redis each time,
for the whole cluster, through a short-lived client of the caller's own event loop, and raise
:class:`~channels_admin.registry.base.RegistryUnavailable` naming Redis when it cannot answer.
"""

import asyncio
import json
import time

from django.core.exceptions import ImproperlyConfigured
from redis.exceptions import RedisError

from channels_admin.conf import app_settings
from channels_admin.registry.base import ORDER_FIELDS, Registry, RegistryUnavailable, live_rows
from channels_admin.registry.redis_activity import points, summed_metrics, summed_series
from channels_admin.registry.redis_store import (
    AT,
    SUBSETS,
    Keys,
    connect,
    entry_fields,
    hide_password,
    layer_redis_url,
)
from channels_admin.registry.redis_writer import Writer
from channels_admin.registry.servers import this_server

#: Seconds a read may take before the page says Redis is unavailable.
READ_TIMEOUT = 2.0


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
        self.current_writer().updated(record)

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
        if (
            live is True
            and field == "started"
            and subset
            and not (path or consumer or group or user)
        ):
            return await self.read(
                lambda client: self.newest(
                    client, server, subset, order == "started", offset, limit
                )
            )

        async def reader(client):
            entries = await self.entries(client, live, server)
            tests = []
            if type:
                tests.append(lambda e: e[AT["type"]] == type)
            if state:
                tests.append(lambda e: e[AT["state"]] == state)
            if user:
                tests.append(lambda e: e[AT["user"]] == user)
            if path:
                tests.append(lambda e: path in (e[AT["path"]] or ""))
            if consumer:
                tests.append(lambda e: consumer in (e[AT["consumer"]] or ""))
            if group:
                tests.append(lambda e: group in e[AT["groups"]])
            if tests:
                entries = [e for e in entries if all(test(e) for test in tests)]
            at = AT[field]
            entries.sort(
                key=lambda e: (e[at] is None, 0 if e[at] is None else e[at]),
                reverse=order.startswith("-"),
            )
            page = entries[offset : offset + limit]
            return {"total": len(entries), "connections": await self.records(client, page)}

        return await self.read(reader)

    async def newest(self, client, server, subset, oldest_first, offset, limit):
        """A live list by start time from each alive server's sorted set (``subset``: see
        :func:`subset_of`): ``offset + limit`` ids per server, merged, then that page's
        records only."""
        keys = self.keys
        servers = await self.alive(client, server)
        pipe = client.pipeline(transaction=False)
        for alive in servers:
            key = keys.started(alive, *subset)
            pipe.zcard(key)
            pipe.zrange(key, 0, offset + limit - 1, desc=not oldest_first, withscores=True)
        found = await pipe.execute() if servers else []
        firsts = [
            (started, id.decode(), alive)
            for alive, ranked in zip(servers, found[1::2], strict=True)
            for id, started in ranked
        ]
        firsts.sort(reverse=not oldest_first)
        page = firsts[offset : offset + limit]
        pipe = client.pipeline(transaction=False)
        for _, id, alive in page:
            pipe.hget(keys.index(alive), id)
            pipe.hget(keys.records(alive), id)
        found_records = await pipe.execute() if page else []
        return {
            "total": sum(found[::2]),
            "connections": [
                merged(record, index)
                for index, record in zip(found_records[::2], found_records[1::2], strict=True)
                if record is not None  # closed since the ids were read
            ],
        }

    async def entries(self, client, live, server=None):
        """Index entries: live ones of the alive servers (``live=True``), closed ones
        (``False``) or both (``None``)."""
        keys = self.keys
        pipe = client.pipeline(transaction=False)
        if live is not False:
            for alive in await self.alive(client, server):
                pipe.hvals(keys.index(alive))
        if live is not True:
            pipe.hvals(keys.closed_index)
        found = [raw for values in await pipe.execute() for raw in values]
        entries = json.loads(b"[%s]" % b",".join(found))  # one parse, not one per entry
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
    """``(field, value)`` of the sorted sets that answer a live list filtered on ``type`` or
    ``state`` (``(None, None)`` unfiltered), or None when the filter needs the index."""
    if type and state:
        return None
    field, value = ("type", type) if type else ("state", state) if state else (None, None)
    if field is not None and value not in SUBSETS[field]:
        return None
    return field, value


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
