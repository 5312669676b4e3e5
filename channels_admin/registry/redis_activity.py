"""Activity and Prometheus totals of a Redis cluster: what each server publishes, summed.

Every ``HEARTBEAT`` each worker's writer publishes, in the heartbeat's own round trip, the
activity buckets that changed since its last beat, trimmed to ``ACTIVITY_WINDOW``, one field
per bucket: summed (``P:server:<id>:activity``, what an unfiltered read sums) and per
consumer (``P:server:<id>:activity:consumer:<path>``, listed in the set
``P:server:<id>:activity:consumers``: a read by consumer fetches only those it matches); and
its running
totals with its live connections counted by type and consumer (``P:server:<id>:metrics``).
After Redis lost them, the next beat publishes the whole window again. The cost is per
heartbeat, never per message.

Reads sum the servers of ``P:servers``: a dead server's buckets stay history until they
leave the window, but its live count ends with its last heartbeat; its totals keep counting
in ``metrics()`` until the server is forgotten, so the cluster's counters do not drop when a
worker dies. Figures are as fresh as each server's last heartbeat.
"""

import json

from channels_admin.recorder.activity import COUNTED, FIELDS, get_activity
from channels_admin.registry.redis_store import dumps

#: A published bucket's values: the activity fields, then ``live``.
WIDTH = len(FIELDS) + 1


class Publisher:
    """What one server's writer publishes of this process's activity at each beat."""

    def __init__(self, keys, server, keep):
        self.keys = keys
        self.server = server  # its id
        self.keep = keep  # seconds what it published outlives its last beat (+ the window)
        self.since = 0  # the first bucket to publish at the next beat (0: all of them)
        self.published = set()  # bucket starts in Redis: what trimming deletes
        self.consumers = set()  # consumers with a hash of their own: what trimming visits

    def publish(self, pipe, live_records, now):
        """Queue this server's changed buckets, totals and live counts on ``pipe``."""
        activity = get_activity()
        keys, server = self.keys, self.server
        buckets = activity.buckets(since=self.since, now=now)
        self.since = activity.start
        by_consumer = {}
        for t, found in buckets.items():
            for name, counts in found.items():
                by_consumer.setdefault(name, {})[t] = dumps(counts)
        if buckets:
            summed = {t: dumps(_total(found)) for t, found in buckets.items()}
            pipe.hset(keys.activity(server), mapping=summed)
            self.published.update(buckets)
        if by_consumer:
            pipe.sadd(keys.activity_consumers(server), *by_consumer)
            for name, found in by_consumer.items():
                pipe.hset(keys.consumer_activity(server, name), mapping=found)
            self.consumers.update(by_consumer)
        first = activity.start - activity.window
        old = [t for t in self.published if t <= first]
        self.published.difference_update(old)
        ttl = activity.window + self.keep
        trimmed = [keys.consumer_activity(server, name) for name in self.consumers]
        for key in (keys.activity(server), *trimmed):
            if old:
                pipe.hdel(key, *old)
            pipe.expire(key, ttl)
        pipe.expire(keys.activity_consumers(server), ttl)
        live = {}
        for record in list(live_records):
            kind = (record.type, record.consumer or "-")
            live[kind] = live.get(kind, 0) + 1
        metrics = {
            "totals": activity.sum_totals(),
            "live": [[*kind, count] for kind, count in sorted(live.items())],
        }
        pipe.set(keys.metrics(server), dumps(metrics), ex=self.keep)

    def lost(self):
        """Redis may have lost what was published: publish the whole window again."""
        self.since = 0
        self.published.clear()


def points(published, first):
    """``{bucket start: [counts..., live]}`` from ``first`` on of one published hash (a
    server's, or one of its consumers'), in one JSON parse."""
    values = json.loads(b"[%s]" % b",".join(published.values()))
    return {int(t): counts for t, counts in zip(published, values, strict=True) if int(t) >= first}


def summed_series(servers, streams, bucket, first, last):
    """The activity series from ``first`` to ``last`` (bucket starts) of ``servers`` (their
    entries), each bucket the sum of ``streams``, ``(entry, points)`` pairs (see
    :func:`points`; a server may have one per consumer). It starts where the earliest of the
    servers started, as a memory registry's series starts with its process."""
    if not servers:
        return []
    start = min(max(first, int(entry["started"] // bucket) * bucket) for entry in servers)
    start = min([start, *(min(found) for _, found in streams if found)])
    starts = range(start, last + bucket, bucket)
    rows = [[0] * WIDTH for _ in starts]
    # Each stream's live count holds from one published bucket to the next (and ends after
    # a dead server's last one): kept as changes, summed in one pass at the end.
    changes = [0] * (len(rows) + 1)
    for entry, found in streams:
        end = last if entry["alive"] else entry["last_seen"] // bucket * bucket
        live = 0
        for t in sorted(found):
            if t > last:
                break
            end = max(end, t)
            point, at = found[t], (t - start) // bucket
            row = rows[at]
            for i in range(WIDTH - 1):
                row[i] += point[i]
            changes[at] += point[-1] - live
            live = point[-1]
        if live and end < last:  # a dead server's connections ended with it
            changes[int(end + bucket - start) // bucket] -= live
    live = 0
    for row, change in zip(rows, changes, strict=False):
        live += change
        row[-1] = live
    return [
        {"t": t, **dict(zip((*FIELDS, "live"), row, strict=True))}
        for t, row in zip(starts, rows, strict=True)
    ]


def _total(consumers):
    return [sum(counts) for counts in zip(*consumers.values(), strict=True)] or [0] * WIDTH


def summed_metrics(servers):
    """``Registry.metrics()`` of the servers, each an ``(entry, JSON or None)`` pair: live
    counts of the alive ones, totals of all of them."""
    live, totals = {}, dict.fromkeys(COUNTED, 0)
    for entry, raw in servers:
        if raw is None:
            continue
        found = json.loads(raw)
        for field, value in found["totals"].items():
            totals[field] = totals.get(field, 0) + value
        if entry["alive"]:
            for kind, consumer, count in found["live"]:
                live[(kind, consumer, entry["id"])] = count
    return live, totals
