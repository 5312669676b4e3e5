"""The registry interface: where connection records and routing decisions live.

Readers get plain JSON-serializable dicts (see docs/architecture.md for every field).
The recorder writes :class:`~channels_admin.recorder.records.Record` and
:class:`~channels_admin.recorder.records.Decision` objects: compact, owned by the recorder, which
updates a live record's counters in place and calls :meth:`Registry.changed` when something
worth storing changed (state, consumer, groups, user). Their ``as_dict()`` is the JSON a
reader gets: a backend that copies records (Redis) serializes that; the memory backend keeps
the objects and calls it on read. ``record.id`` and ``record.channel_name`` are attributes.
"""

import sys

from channels_admin.recorder.activity import get_activity

LIVE_STATES = ("connecting", "accepted")
STATES = ("connecting", "accepted", "rejected", "closed")
OUTCOMES = ("hit", "miss", "error", "stopped", "refused")
ORDER_FIELDS = (
    "started",
    "last_activity",
    "messages_in",
    "messages_out",
    "bytes_in",
    "bytes_out",
    "path",
    "consumer",
    "type",
    "state",
)


class RegistryUnavailable(RuntimeError):
    """The registry's store cannot be reached; the message names it (never its password)."""


class Registry:
    """Base class of registry backends; every method is a coroutine."""

    # Written by the recorder.

    async def opened(self, record):
        """A connection started: keep ``record`` (a ``Record``) among the live ones."""
        raise NotImplementedError

    async def changed(self, record):
        """State, consumer, channel name, groups or user of a live record changed."""
        raise NotImplementedError

    async def closed(self, record):
        """The connection ended: move ``record`` to the bounded list of closed ones."""
        raise NotImplementedError

    async def decided(self, decision):
        """Keep a ``Decision`` (hit, miss, error, stopped or refused) in the bounded list.

        A refusal found after the decision was kept changes the same object's ``outcome``."""
        raise NotImplementedError

    # Read by the dashboard, the panel and the management command.

    async def get(self, connection_id):
        """One record, live or recently closed, or None."""
        raise NotImplementedError

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
        """``{"total": n, "connections": [...]}``: live (``live=True``), recently closed
        (``False``) or both (``None``), filtered, sorted by ``order`` (a field, ``-`` for
        descending) and sliced. ``path`` and ``consumer`` match substrings, the others exactly;
        ``server`` is a server id (see :meth:`servers`).
        """
        raise NotImplementedError

    async def decisions(
        self, *, outcome=None, path=None, consumer=None, problems=False, offset=0, limit=100
    ):
        """``{"total": n, "decisions": [...]}``: recent routing decisions, newest first,
        filtered like :meth:`connections` (``outcome`` is one outcome or a list of them;
        ``problems=True`` keeps misses, errors and refusals, a consumer's own included) and
        sliced."""
        raise NotImplementedError

    async def summary(self):
        """``{"live", "closed", "by_type", "by_consumer", "by_state", "decisions",
        "outcomes"}``: counts for an overview page or a toolbar subtitle."""
        raise NotImplementedError

    async def connection_ids(self, channel_names):
        """``{channel_name: connection id}`` for the live connections among ``channel_names``
        (how the groups page maps layer members to connections)."""
        raise NotImplementedError

    async def servers(self):
        """The worker processes whose connections this registry holds, alive or recently
        dead: dicts with at least ``id``, ``host``, ``pid``, ``software``, ``started``,
        ``last_seen``, ``alive`` and ``live`` (its live connections)."""
        raise NotImplementedError

    async def activity(self, *, consumer=None, server=None):
        """``{"bucket": seconds, "series": [{"t": bucket start, "connects", "disconnects",
        "refused", "misses", "errors", "messages_in", "messages_out", "bytes_in",
        "bytes_out", "live"}, ...]}``, oldest first, over ``ACTIVITY_WINDOW``: what the
        connections of the consumers whose path contains ``consumer`` did, on ``server``
        only when given (a backend that knows servers), else on every server summed.

        By default, this process's activity: a backend that sees several servers sums
        theirs (see docs/architecture.md).
        """
        activity = get_activity()
        return {"bucket": activity.bucket, "series": activity.series(consumer=consumer)}

    async def metrics(self):
        """What :class:`channels_admin.metrics.ChannelsAdminCollector` exports:
        ``{"live": [{"type", "consumer", "server", "count"}, ...], "totals": {field: n}}``,
        ``totals`` being running totals since each server started (the activity fields and
        ``hits``, ``stopped``), summed over the servers.

        By default, live connections counted from :meth:`connections` and this process's
        totals.
        """
        found = await self.connections(live=True, limit=sys.maxsize)
        live = {}
        for record in found["connections"]:
            key = (record["type"], record["consumer"] or "-", record.get("server") or "")
            live[key] = live.get(key, 0) + 1
        return {"live": live_rows(live), "totals": get_activity().sum_totals()}

    async def clear(self):
        """Forget everything (tests, and a "reset" button)."""
        raise NotImplementedError


def live_rows(counts):
    """``{(type, consumer, server): n}`` as :meth:`Registry.metrics`' ``live`` list."""
    return [
        {"type": kind, "consumer": consumer, "server": server, "count": count}
        for (kind, consumer, server), count in sorted(counts.items())
    ]
