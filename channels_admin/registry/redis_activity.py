"""Activity and Prometheus totals of a Redis cluster: what each server publishes, summed.

Every ``HEARTBEAT`` each worker's writer publishes, in the heartbeat's own round trip, the
activity buckets that changed since its last beat (``P:server:<id>:activity``, one field per
bucket, trimmed to ``ACTIVITY_WINDOW``) and its running totals with its live connections
counted by type and consumer (``P:server:<id>:metrics``). After Redis lost them, the next
beat publishes the whole window again. The cost is per heartbeat, never per message.

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
        buckets = activity.buckets(since=self.since, now=now)
        self.since = activity.start
        if buckets:
            pipe.hset(key, mapping={t: dumps(found) for t, found in buckets.items()})
            self.published.update(buckets)
        first = activity.start - activity.window
        old = [t for t in self.published if t <= first]
        if old:
            pipe.hdel(key, *old)
            self.published.difference_update(old)
        pipe.expire(key, activity.window + self.keep)
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


def summed_series(servers, consumer, bucket, first, last):
    """The activity series from ``first`` to ``last`` (bucket starts) of the servers, each a
    ``(entry, {bucket start: JSON})`` pair, counting the consumers whose path contains
    ``consumer`` (all when None); it starts at the first bucket any server published."""
    published = []
    for entry, raw in servers:
        points = {}
        for t, found in raw.items():
            t = int(t)
            if t >= first:
                points[t] = _filtered(json.loads(found), consumer)
        if points:
            end = last if entry["alive"] else int(entry["last_seen"] // bucket) * bucket
            published.append((points, end))
    if not published:
        return []
    start = min(min(points) for points, _ in published)
    rows = {t: [0] * WIDTH for t in range(start, last + bucket, bucket)}
    for points, end in published:
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


def _filtered(consumers, consumer):
    values = [0] * WIDTH
    for name, counts in consumers.items():
        if consumer is None or consumer in name:
            for i, count in enumerate(counts):
                values[i] += count
    return values


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
