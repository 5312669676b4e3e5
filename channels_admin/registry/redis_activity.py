"""Activity and Prometheus totals of a Redis cluster: what each server publishes, summed.

Every ``HEARTBEAT`` each worker's writer publishes, in the heartbeat's own round trip, the
activity buckets that changed since its last beat, trimmed to ``ACTIVITY_WINDOW``, one field
per bucket: summed (``P:server:<id>:activity``, what an unfiltered read sums) and by consumer
(``P:server:<id>:activity:consumers``, read when filtering by consumer); and its running
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
        self.keep = keep  # seconds the totals outlive the last beat
        self.since = 0  # the first bucket to publish at the next beat (0: all of them)
        self.published = set()  # bucket starts in Redis: what trimming deletes

    def publish(self, pipe, live_records, now):
        """Queue this server's changed buckets, totals and live counts on ``pipe``."""
        activity = get_activity()
        key = self.keys.activity(self.server)
        by_consumer = self.keys.consumer_activity(self.server)
        buckets = activity.buckets(since=self.since, now=now)
        self.since = activity.start
        if buckets:
            pipe.hset(key, mapping={t: dumps(_total(found)) for t, found in buckets.items()})
            pipe.hset(by_consumer, mapping={t: dumps(found) for t, found in buckets.items()})
            self.published.update(buckets)
        first = activity.start - activity.window
        old = [t for t in self.published if t <= first]
        for trimmed in (key, by_consumer):
            if old:
                pipe.hdel(trimmed, *old)
            pipe.expire(trimmed, activity.window + self.keep)
        self.published.difference_update(old)
        live = {}
        for record in list(live_records):
            kind = (record.type, record.consumer or "-")
            live[kind] = live.get(kind, 0) + 1
        metrics = {
            "totals": activity.sum_totals(),
            "live": [[*kind, count] for kind, count in sorted(live.items())],
        }
        pipe.set(self.keys.metrics(self.server), dumps(metrics), ex=self.keep)

    def lost(self):
        """Redis may have lost what was published: publish the whole window again."""
        self.since = 0
        self.published.clear()


def server_points(published, consumer, first):
    """``{bucket start: [counts..., live]}`` from ``first`` on of one server's published
    hash: its totals (``consumer`` None) or, from its hash by consumer, the sums of the
    consumers whose path contains ``consumer``. One JSON parse per server."""
    values = json.loads(b"[%s]" % b",".join(published.values()))
    if consumer is not None:
        values = [_filtered(consumers, consumer) for consumers in values]
    return {int(t): counts for t, counts in zip(published, values, strict=True) if int(t) >= first}


def summed_series(servers, bucket, last):
    """The activity series up to ``last`` (a bucket start) of the servers, each an
    ``(entry, points)`` pair (see :func:`server_points`), from the first bucket any of them
    published."""
    servers = [(entry, points) for entry, points in servers if points]
    if not servers:
        return []
    start = min(min(points) for _, points in servers)
    rows = {t: [0] * WIDTH for t in range(start, last + bucket, bucket)}
    for entry, points in servers:
        end = last if entry["alive"] else entry["last_seen"] // bucket * bucket
        live = 0
        for t, row in rows.items():
            point = points.get(t)
            if point is not None:
                live = point[-1]
                for i in range(WIDTH - 1):
                    row[i] += point[i]
            elif t > end:  # a dead server's connections ended with it
                live = 0
            row[-1] += live
    return [{"t": t, **dict(zip((*FIELDS, "live"), row, strict=True))} for t, row in rows.items()]


def _total(consumers):
    return [sum(counts) for counts in zip(*consumers.values(), strict=True)] or [0] * WIDTH


def _filtered(consumers, consumer):
    return _total({name: counts for name, counts in consumers.items() if consumer in name})


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
