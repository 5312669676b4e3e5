"""How the Redis registry lays the cluster out in Redis, and how it talks to it.

Keys, under ``REDIS_PREFIX`` (``P``):

- ``P:servers``: hash, server id -> JSON entry (host, pid, software, started, last_seen,
  heartbeat, live, dropped; ``lost`` once another worker found it dead and moved its
  connections to the closed ones);
- ``P:server:<id>:index`` / ``:records`` / ``:channels``: that server's live connections, as
  an index entry (what lists filter and sort on) and a full record (what one connection's
  page shows) by connection id, and connection ids by channel name;
- ``P:server:<id>:started``: sorted set of that server's live connection ids by start time
  (the default connections page), ``P:server:<id>:started:state:<state>``,
  ``:started:type:<type>`` and ``:started:type:<type>:state:<state>`` the same for each live
  state, scope type and both, ``:started:consumer:<path>`` and
  ``:started:type:<type>:consumer:<path>`` for each consumer (named in the set
  ``P:server:<id>:consumers``) and each type of it (a list filtered on them), and
  ``P:server:<id>:counts``: JSON of its live counts (``live``, ``by_type``,
  ``by_consumer``, ``by_state``; the overview);
- ``P:server:<id>:by:<field>``: sorted set of that server's live connection ids by one of
  :data:`RANKED_FIELDS` (a list ordered by it), renewed with the index entries;
- ``P:closed:index`` / ``:records`` / ``:order``: recently closed connections of every
  server, the same two hashes and a sorted set by end time that bounds them;
- ``P:server:<id>:activity`` and ``:activity:consumer:<path>``: that server's activity
  buckets, bucket start -> JSON ``[counts..., live]``, summed and per consumer (listed in the
  set ``:activity:consumers``), trimmed to ``ACTIVITY_WINDOW``, and
  ``P:server:<id>:metrics``: JSON of its running totals and live counts by type and
  consumer (see :mod:`channels_admin.registry.redis_activity`);
- ``P:decisions`` and ``P:decisions:outcomes``: recent decisions (JSON) and their outcomes
  (for the overview's counts), newest first, trimmed together.
"""

import json
from collections import Counter
from urllib.parse import urlsplit, urlunsplit

import redis.asyncio
from redis.backoff import NoBackoff
from redis.retry import Retry

from channels_admin.conf import SCOPE_TYPES
from channels_admin.registry.base import LIVE_STATES

#: Subsets of a server's live connections kept as sorted sets of their own, each a tuple of
#: ``(field, value)``: a list filtered on a type, a state or both reads a page of one of
#: them, not the whole index.
SUBSETS = (
    *((("type", type),) for type in SCOPE_TYPES),
    *((("state", state),) for state in LIVE_STATES),
    *((("type", type), ("state", state)) for type in SCOPE_TYPES for state in LIVE_STATES),
)
#: Fields besides the start time that a server's live connections are kept sorted by, in
#: sorted sets their writer renews with the index entries: a list ordered by one of them
#: reads a page, not the whole index.
RANKED_FIELDS = ("last_activity", "messages_in", "messages_out", "bytes_in", "bytes_out")
#: Fields of a record kept in the index: what the connections list filters, sorts and counts.
INDEX_FIELDS = (
    "id",
    "type",
    "path",
    "consumer",
    "state",
    "user",
    "started",
    "last_activity",
    "ended",
    "close_code",
    "closed_by",
    "outcome",
    "messages_in",
    "messages_out",
    "bytes_in",
    "bytes_out",
    "channel_name",
)


class Keys:
    """The names of the registry's keys under one prefix."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.servers = prefix + ":servers"
        self.closed_index = prefix + ":closed:index"
        self.closed_records = prefix + ":closed:records"
        self.closed_order = prefix + ":closed:order"
        self.decisions = prefix + ":decisions"
        self.outcomes = prefix + ":decisions:outcomes"

    def index(self, server):
        return "%s:server:%s:index" % (self.prefix, server)

    def records(self, server):
        return "%s:server:%s:records" % (self.prefix, server)

    def channels(self, server):
        return "%s:server:%s:channels" % (self.prefix, server)

    def activity(self, server):
        return "%s:server:%s:activity" % (self.prefix, server)

    def activity_consumers(self, server):
        return "%s:server:%s:activity:consumers" % (self.prefix, server)

    def consumer_activity(self, server, consumer):
        return "%s:server:%s:activity:consumer:%s" % (self.prefix, server, consumer)

    def metrics(self, server):
        return "%s:server:%s:metrics" % (self.prefix, server)

    def started(self, server, subset=()):
        """The sorted set of a server's live connections by start time; with ``subset`` (one
        of :data:`SUBSETS`), of those in it."""
        key = "%s:server:%s:started" % (self.prefix, server)
        return key + "".join(":%s:%s" % pair for pair in subset)

    def ranked(self, server, field):
        """The sorted set of a server's live connections by ``field``, one of
        :data:`RANKED_FIELDS`."""
        return "%s:server:%s:by:%s" % (self.prefix, server, field)

    def consumers(self, server):
        """The set of consumer names that have sorted sets on a server (see
        :meth:`of_consumer`)."""
        return "%s:server:%s:consumers" % (self.prefix, server)

    def of_consumer(self, server, consumer, types=SCOPE_TYPES):
        """The sorted sets by start time of a server's live connections served by
        ``consumer``: all of them, and those of each of ``types``."""
        by = ("consumer", consumer)
        return (
            self.started(server, (by,)),
            *(self.started(server, (("type", type), by)) for type in types),
        )

    def of_consumers(self, server, consumers):
        """Every sorted set of a server's live connections by one of ``consumers``."""
        return [key for name in consumers for key in self.of_consumer(server, name)]

    def counts(self, server):
        return "%s:server:%s:counts" % (self.prefix, server)

    def live(self, server):
        """Every key of one server's live connections."""
        return (
            self.index(server),
            self.records(server),
            self.channels(server),
            self.counts(server),
            self.consumers(server),
            *self.every_sorted(server),
        )

    def every_sorted(self, server):
        """Every sorted set of a server's live connections."""
        return (
            self.started(server),
            *(self.started(server, subset) for subset in SUBSETS),
            *(self.ranked(server, field) for field in RANKED_FIELDS),
        )

    def reaping(self, server, last_seen):
        return "%s:reaping:%s:%r" % (self.prefix, server, last_seen)


def connect(url, timeout):
    """A client of ``url`` whose every call gives up after ``timeout`` seconds, without
    retrying: a slow Redis must not hold a page or the writer for longer. None of our calls
    blocks on the server side, so the socket timeout never cuts a wait that was meant."""
    return redis.asyncio.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
    )


def hide_password(url):
    """``url`` with its password, if any, replaced by ``***``."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = "%s:***@%s" % (parts.username or "", parts.netloc.rpartition("@")[2])
    return urlunsplit(parts._replace(netloc=netloc))


#: An index entry is a JSON list of these, in this order: a fifth of the bytes of an object,
#: and what a list page parses by the thousand.
ENTRY_FIELDS = (*INDEX_FIELDS, "groups", "server")
AT = {name: position for position, name in enumerate(ENTRY_FIELDS)}
TIMES = (AT["started"], AT["last_activity"], AT["ended"])


def index_entry(record, server):
    """The index entry of a ``Record``: attribute reads only, cheap enough for a heartbeat."""
    entry = [*(getattr(record, name) for name in INDEX_FIELDS), list(record.groups), server]
    for position in TIMES:  # milliseconds are enough, and short floats parse faster
        if entry[position] is not None:
            entry[position] = round(entry[position], 3)
    return entry


def live_counts(records):
    """The overview's counts of live ``records``: ``{"live", "by_type", "by_consumer",
    "by_state"}``."""
    records = list(records)
    return {
        "live": len(records),
        "by_type": Counter(record.type for record in records),
        "by_consumer": Counter(record.consumer or "-" for record in records),
        "by_state": Counter(record.state for record in records),
    }


def entry_fields(entry):
    """An index entry as a dict."""
    return dict(zip(ENTRY_FIELDS, entry, strict=True))


#: Compact JSON; one encoder for every write (json.dumps() would build one per call), that
#: does not look for cycles: what it encodes is built by the recorder, as dicts and lists.
dumps = json.JSONEncoder(separators=(",", ":"), default=str, check_circular=False).encode


def layer_redis_url(layers):
    """The URL of the first host of ``layers["default"]`` when it is a channels_redis layer,
    or None. Hosts may be URL strings, ``(host, port)`` pairs or dicts with an ``address``."""
    default = (layers or {}).get("default") or {}
    if "channels_redis" not in str(default.get("BACKEND", "")):
        return None
    hosts = (default.get("CONFIG") or {}).get("hosts") or [("localhost", 6379)]
    host = hosts[0]
    if isinstance(host, dict):
        host = host.get("address")
    if isinstance(host, str):
        return host
    if isinstance(host, (list, tuple)) and len(host) == 2:
        return "redis://%s:%s/0" % tuple(host)
    return None
