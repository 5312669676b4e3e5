"""Activity over time: what this process's connections did, counted per time bucket.

Each consumer has a :class:`Tally` of running totals since the process started (connects,
messages, bytes, ...): the recorder adds to it in place, a few integer increments and no
allocation per message. At each bucket edge (``ACTIVITY_BUCKET`` seconds) :class:`Activity`
notes every tally's totals in a mark; a bucket's counts are the difference between the marks
at its two edges. The edge is crossed by the first event after it (the recorder compares the
time it already reads with :attr:`Activity.edge`) or by a reader, so a mark holds the totals
at the edge exactly. Marks are kept for ``ACTIVITY_WINDOW`` seconds: memory is bounded by
window / bucket × consumers.

The running totals are also what :mod:`channels_admin.metrics` exports as Prometheus counters.
"""

import threading
import time
from collections import deque

from django.core.signals import setting_changed
from django.dispatch import receiver

from channels_admin.conf import app_settings

#: The counts of one bucket, in the order of the JSON series (``live`` comes last).
FIELDS = (
    "connects",
    "disconnects",
    "refused",
    "misses",
    "errors",
    "messages_in",
    "messages_out",
    "bytes_in",
    "bytes_out",
)
#: Also counted, for Prometheus' ``connections_total{outcome}``.
OUTCOME_FIELDS = ("hits", "stopped")


COUNTED = FIELDS + OUTCOME_FIELDS


class Tally:
    """Running totals of one consumer's connections since the process started, and the
    :class:`Activity` whose edge the recorder compares the time with."""

    __slots__ = (*COUNTED, "activity")

    def __init__(self, activity):
        self.activity = activity
        for name in COUNTED:
            setattr(self, name, 0)

    def values(self):
        return tuple(getattr(self, name) for name in COUNTED)

    def live(self):
        return self.connects - self.disconnects - self.refused


class Activity:
    """This process's tallies, one per consumer (``None``: routing found none), and the
    marks that cut their totals into buckets."""

    def __init__(self, bucket, window, now=None):
        self.bucket = bucket
        self.window = window
        self.marks = deque(maxlen=max(1, window // bucket) + 1)
        self.tallies = {}
        self.lock = threading.Lock()
        self.start = self.edge = 0
        self.roll(time.time() if now is None else now)

    def tally(self, consumer):
        """The tally of ``consumer`` (created on its first connection)."""
        tally = self.tallies.get(consumer)
        if tally is None:
            tally = self.tallies.setdefault(consumer, Tally(self))
        return tally

    def roll(self, now):
        """Close the bucket (and any empty ones after it) that ``now`` has passed."""
        with self.lock:
            if now < self.edge:
                return
            start = int(now // self.bucket) * self.bucket
            totals = {consumer: tally.values() for consumer, tally in self.tallies.items()}
            self.marks.append((start, totals))
            self.start, self.edge = start, start + self.bucket

    def series(self, consumer=None, now=None):
        """``[{"t": bucket start, counts..., "live": n}, ...]``, oldest first, over the
        window, for the consumers whose dotted path contains ``consumer`` (all when None)."""
        now = time.time() if now is None else now
        self.roll(now)
        with self.lock:
            marks = list(self.marks)
            current = {name: tally.values() for name, tally in self.tallies.items()}
        width = len(COUNTED)
        edges = [(t, _sum(totals, consumer, width)) for t, totals in marks]
        edges.append((None, _sum(current, consumer, width)))
        first = self.start - (self.marks.maxlen - 2) * self.bucket
        series = []
        for (t, before), (next_t, after) in zip(edges, edges[1:], strict=False):
            # Every event between two marks fell in the first mark's bucket (a later one
            # would have made a mark): the buckets up to the next mark saw none.
            if t >= first:
                series.append(_point(t, before, after))
            if next_t is not None:
                for empty in range(max(t + self.bucket, first), next_t, self.bucket):
                    series.append(_point(empty, after, after))
        return series

    def buckets(self, since=0, now=None):
        """``{t: {consumer: [counts..., live]}}``: the buckets from ``since`` on in which an
        event or a reader made a mark, each with the consumers (``""``: routing found none)
        that did something in it or had live connections at its end. A bucket left out saw
        nothing: its live counts are those of the bucket before. (What the Redis registry's
        writer publishes as its server's activity.)"""
        now = time.time() if now is None else now
        self.roll(now)
        with self.lock:
            marks = list(self.marks)
            current = {name: tally.values() for name, tally in self.tallies.items()}
        zero = (0,) * len(COUNTED)
        found = {}
        edges = [*marks, (None, current)]
        for (t, before), (_, after) in zip(edges, edges[1:], strict=False):
            if t < since:
                continue
            consumers = found[t] = {}
            for name, values in after.items():
                point = _point(t, before.get(name, zero), values)
                del point["t"]
                if any(point.values()):
                    consumers[name or ""] = list(point.values())
        return found

    def totals(self):
        """``{consumer: {field: total since start}}`` (consumer None: routing found none)."""
        with self.lock:
            tallies = list(self.tallies.items())
        return {
            consumer: dict(zip(COUNTED, tally.values(), strict=True))
            for consumer, tally in tallies
        }

    def sum_totals(self):
        """``{field: total since start}`` over every consumer."""
        summed = dict.fromkeys(COUNTED, 0)
        for totals in self.totals().values():
            for field, value in totals.items():
                summed[field] += value
        return summed


def _sum(totals, consumer, width):
    rows = [
        values for name, values in totals.items() if consumer is None or consumer in (name or "")
    ]
    return [sum(row[i] for row in rows) for i in range(width)]


_CONNECTS, _DISCONNECTS, _REFUSED = map(FIELDS.index, ("connects", "disconnects", "refused"))


def _point(t, before, after):
    point = {"t": t}
    for i, name in enumerate(FIELDS):
        point[name] = after[i] - before[i]
    point["live"] = after[_CONNECTS] - after[_DISCONNECTS] - after[_REFUSED]
    return point


_activity = None


def get_activity():
    """This process's :class:`Activity` (created on first use with the current settings)."""
    global _activity
    if _activity is None:
        settings = app_settings()
        _activity = Activity(settings["ACTIVITY_BUCKET"], settings["ACTIVITY_WINDOW"])
    return _activity


@receiver(setting_changed)
def _reset(setting, **kwargs):
    global _activity
    if setting == "CHANNELS_ADMIN":
        _activity = None
