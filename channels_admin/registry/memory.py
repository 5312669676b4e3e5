"""The default registry: this process's connections, in memory, bounded."""

import time
from collections import OrderedDict, deque

from channels_admin.conf import app_settings
from channels_admin.recorder.activity import get_activity
from channels_admin.registry.base import ORDER_FIELDS, Registry, live_rows
from channels_admin.registry.servers import server_id, this_server


class MemoryRegistry(Registry):
    """Live connections in a dict; closed ones and decisions in bounded FIFOs.

    It keeps the recorder's compact records themselves and builds the JSON dicts when read.

    Only this process's connections are seen: with several workers, use one registry
    they share (a Redis backend).
    """

    def __init__(self, max_closed=None, max_decisions=None):
        settings = app_settings()
        self.max_closed = max_closed or settings["MAX_CLOSED_CONNECTIONS"]
        self.live = {}
        self.closed_records = OrderedDict()
        self.by_channel = {}
        self.recent_decisions = deque(maxlen=max_decisions or settings["MAX_DECISIONS"])

    async def opened(self, record):
        self.live[record.id] = record

    async def changed(self, record):
        channel = record.channel_name
        if channel and record.id in self.live:
            self.by_channel[channel] = record.id

    async def closed(self, record):
        self.live.pop(record.id, None)
        channel = record.channel_name
        if channel and self.by_channel.get(channel) == record.id:
            del self.by_channel[channel]
        self.closed_records[record.id] = record
        while len(self.closed_records) > self.max_closed:
            self.closed_records.popitem(last=False)

    async def decided(self, decision):
        self.recent_decisions.append(decision)

    async def get(self, connection_id):
        record = self.live.get(connection_id) or self.closed_records.get(connection_id)
        return None if record is None else record.as_dict()

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
        if server is not None and server != server_id():
            return {"total": 0, "connections": []}
        if live is None:
            records = [*self.live.values(), *self.closed_records.values()]
        else:
            records = list((self.live if live else self.closed_records).values())
        tests = []
        if type:
            tests.append(lambda r: r.type == type)
        if state:
            tests.append(lambda r: r.state == state)
        if user:
            tests.append(lambda r: r.user == user)
        if path:
            tests.append(lambda r: path in (r.path or ""))
        if consumer:
            tests.append(lambda r: consumer in (r.consumer or ""))
        if group:
            tests.append(lambda r: group in r.groups)
        if tests:
            records = [r for r in records if all(test(r) for test in tests)]
        records = _sorted(records, order)
        return {
            "total": len(records),
            "connections": [r.as_dict() for r in records[offset : offset + limit]],
        }

    async def decisions(
        self, *, outcome=None, path=None, consumer=None, problems=False, offset=0, limit=100
    ):
        outcomes = (outcome,) if isinstance(outcome, str) else outcome
        found = [
            decision
            for decision in reversed(self.recent_decisions)
            if (not outcomes or decision.outcome in outcomes)
            and (not problems or decision.problem)
            and (not path or path in (decision.record.path or ""))
            and (not consumer or consumer in (decision.record.consumer or ""))
        ]
        page = found[offset : offset + limit]
        return {"total": len(found), "decisions": [decision.as_dict() for decision in page]}

    async def summary(self):
        by_type, by_consumer, by_state, outcomes = {}, {}, {}, {}
        for record in self.live.values():
            _count(by_type, record.type)
            _count(by_consumer, record.consumer or "-")
            _count(by_state, record.state)
        for decision in self.recent_decisions:
            _count(outcomes, decision.outcome)
        return {
            "live": len(self.live),
            "closed": len(self.closed_records),
            "by_type": by_type,
            "by_consumer": by_consumer,
            "by_state": by_state,
            "decisions": len(self.recent_decisions),
            "outcomes": outcomes,
        }

    async def connection_ids(self, channel_names):
        by_channel = self.by_channel
        return {name: by_channel[name] for name in channel_names if name in by_channel}

    async def servers(self):
        return [
            {
                **this_server(),
                "last_seen": time.time(),
                "heartbeat": None,
                "alive": True,
                "live": len(self.live),
            }
        ]

    async def metrics(self):
        live = {}
        for record in list(self.live.values()):  # a scrape may run in another thread
            _count(live, (record.type, record.consumer or "-", server_id()))
        return {"live": live_rows(live), "totals": get_activity().sum_totals()}

    async def clear(self):
        self.live.clear()
        self.closed_records.clear()
        self.by_channel.clear()
        self.recent_decisions.clear()


def _count(counts, key):
    counts[key] = counts.get(key, 0) + 1


def _sorted(records, order):
    field = order.lstrip("-")
    if field not in ORDER_FIELDS:
        raise ValueError(
            "Cannot order connections by %r; use one of %s." % (order, ", ".join(ORDER_FIELDS))
        )
    if field == "started" and not order.startswith("-"):
        return records  # insertion order is start order
    if field == "started":
        return records[::-1]

    def key(record):
        value = getattr(record, field)
        return (value is None, 0 if value is None else value)

    return sorted(records, key=key, reverse=order.startswith("-"))
