"""Keeping one connection's record current: the ASGI wrappers of a :class:`Recording`.

A :class:`Recording` opens the record (:class:`~channels_admin.recorder.records.Record`) when the
connection opens, counts messages on the ``receive``/``send`` wrappers it hands to the
application, keeps the routers' trace once routing has decided (the application's first
``receive``), and hands the record to the registry when the connection ends. A failure
anywhere in here is logged once and never reaches the connection.
"""

import logging
import time

from django.urls.exceptions import Resolver404

from channels_admin.introspection import explain
from channels_admin.introspection.trace import consumer_of, reached, waits_for_message
from channels_admin.recorder.activity import get_activity
from channels_admin.recorder.events import event_log, frame_event, layer_event
from channels_admin.recorder.records import ActionDecision, Decision, Record
from channels_admin.recorder.refusals import find_refuser
from channels_admin.routing.scope import RouteNotFound
from channels_admin.routing.trace import Trace, current_trace

logger = logging.getLogger("channels_admin.recorder")

#: Live recordings of this process by channel-layer channel name (see attribution.py).
by_channel = {}

_reported = False


def report_failure(exc):
    """Log the first recording failure loudly, later ones quietly; never raise."""
    global _reported
    if not _reported:
        _reported = True
        logger.error(
            "channels_admin could not record a connection; connections are served normally. "
            "Further recording errors are logged at DEBUG level.",
            exc_info=exc,
        )
    else:
        logger.debug("channels_admin recording failed", exc_info=exc)


def current_recording():
    """The recording of the connection whose task is running, or None."""
    return getattr(current_trace.get(), "recording", None)


class RecordingTrace(Trace):
    """A recorded connection's trace, which also says whose it is while the connection lives,
    so that one context variable serves both the routers and channel attribution."""

    __slots__ = ("recording",)

    def __init__(self, recording):
        super().__init__()
        self.recording = recording


class Recording:
    """The live record of one connection and the wrappers that keep it current."""

    __slots__ = (
        "record",
        "registry",
        "trace",
        "root",
        "child",
        "routed",
        "decision",
        "tally",
        "_receive",
        "_send",
    )

    def __init__(self, root, scope, receive, send, registry, settings):
        self.root = root
        self.registry = registry
        self.trace = RecordingTrace(self)
        self.child = None
        self.routed = False
        self.decision = None
        self._receive = receive
        self._send = send
        self.record = Record(scope, settings)
        self.record.events = event_log(settings)
        # Routing has not decided yet: counted as no consumer's until decide() knows.
        self.tally = get_activity().tally(None)

    async def store(self, method, value):
        try:
            await method(value)
        except Exception as exc:
            report_failure(exc)

    async def receive(self):
        if not self.routed:
            await self.decide()
        message = await self._receive()
        self.received(message)
        return message

    def received(self, message):
        # Not inlined in receive(): its coroutine waits for as long as the connection is idle,
        # and these locals would make its frame bigger.
        try:
            record = self.record
            tally = self.tally
            now = time.time()
            if now >= tally.activity.edge:
                tally.activity.roll(now)
            kind = message["type"]
            if kind == "websocket.receive":
                size = _size(message)
                record.messages_in += 1
                record.bytes_in += size
                tally.messages_in += 1
                tally.bytes_in += size
                if record.events is not None:
                    record.events.append(frame_event("in", message, record.settings))
            elif kind == "http.request":
                size = len(message.get("body") or b"")
                record.messages_in += 1
                record.bytes_in += size
                tally.messages_in += 1
                tally.bytes_in += size
            elif kind == "websocket.disconnect":
                if record.close_code is None:
                    record.close_code = message.get("code", 1000)
            elif record.type == "channel":  # every message of a worker's channel is data
                record.messages_in += 1
                tally.messages_in += 1
            record.last_activity = now
        except Exception as exc:
            report_failure(exc)

    async def send(self, message):
        if not self.routed:
            await self.decide()
        try:
            record = self.record
            tally = self.tally
            now = time.time()
            if now >= tally.activity.edge:
                tally.activity.roll(now)
            kind = message["type"]
            if kind == "websocket.send":
                size = _size(message)
                record.messages_out += 1
                record.bytes_out += size
                tally.messages_out += 1
                tally.bytes_out += size
                if record.events is not None:
                    record.events.append(frame_event("out", message, record.settings))
            elif kind == "http.response.body":
                size = len(message.get("body") or b"")
                record.messages_out += 1
                record.bytes_out += size
                tally.messages_out += 1
                tally.bytes_out += size
            elif kind == "websocket.accept" or kind == "http.response.start":
                record.state = "accepted"
                record.status = message.get("status")
                record.user = _username(self.child)
                await self.store(self.registry.changed, record)
            elif kind == "websocket.close":
                record.close_code = message.get("code", 1000)
                if record.state == "connecting":
                    record.state = "rejected"
                    await self.refused()
            record.last_activity = now
        except Exception as exc:
            report_failure(exc)
        return await self._send(message)

    async def close(self, code, reason=None):
        """Close the connection from outside (the dashboard, through the channel layer)."""
        self.record.closed_by = "admin"
        self.record.close_code = code
        message = {"type": "websocket.close", "code": code}
        if reason:
            message["reason"] = reason
        await self._send(message)

    async def decide(self, error=None):
        """Routing is over (the app asked for its first message, or failed): record how.

        A MessageRouter routes the message it is receiving, so for it the decision waits for
        the next send() or receive() (``routed`` is None meanwhile).
        """
        if self.routed is False and error is None and waits_for_message(self.trace, self.root):
            self.routed = None
            return
        self.routed = True
        try:
            record = self.record
            if self.trace:
                record.trace = tuple(self.trace)  # worded when read
                app, self.child = reached(self.trace)
                missed = app is None
                consumer = consumer_of(app) if app is not None else None
            else:  # no router of ours on the way: say what a dry run finds
                result = explain(self.root, record.scope)
                record.trace = result["steps"]
                record.trace_source = "dry-run"
                missed = not result["matched"]
                consumer = result["consumer"]
            if self.child is not None:
                record.route = self.child.get("url_route")
                record.user = _username(self.child)
            record.consumer = consumer
            self.trace.close()  # routing is recorded: per-message routers need not add to it
            if error is not None:
                record.error = f"{type(error).__name__}: {error}"
                routing_error = isinstance(error, (RouteNotFound, Resolver404, ValueError))
                record.outcome = "miss" if missed and routing_error else "error"
            else:
                record.outcome = "hit" if consumer else "miss" if missed else "stopped"
            self.count_decision(consumer, record.outcome)
            await self.store(self.registry.changed, record)
            self.decision = Decision(record)
            await self.store(self.registry.decided, self.decision)
        except Exception as exc:
            report_failure(exc)

    async def refused(self):
        """Record which application closed the handshake before accepting.

        A layer above the consumer turns the decision into ``refused`` (the consumer never
        ran); a consumer refusing in ``connect()`` leaves it a ``hit``.
        """
        record = self.record
        found = find_refuser(self.root, record.trace if record.trace_source == "dispatch" else ())
        if found is None:
            return
        record.refused_by, by_consumer = found
        record.status = 403  # what daphne and uvicorn answer a refused handshake
        if not by_consumer and record.outcome in ("hit", "stopped"):
            record.outcome = "refused"
            record.consumer = None
            if self.decision is not None:
                self.decision.outcome = "refused"
        await self.store(self.registry.changed, record)

    async def action_replied(self, consumer, action, route, status, errors):
        """Count an AsyncAPIConsumer's reply; keep an action miss (404, 405) as a decision."""
        try:
            error = "; ".join(str(error) for error in errors or ())
            self.record.action_replied(action, route, status, error)
            if status in (404, 405):
                decision = ActionDecision(
                    self.record, action, route, consumer.action_router, status, error
                )
                await self.store(self.registry.decided, decision)
        except Exception as exc:
            report_failure(exc)

    def count_decision(self, consumer, outcome):
        """Count the connection, and how routing decided it, in its consumer's tally."""
        activity = get_activity()
        activity.roll(time.time())
        self.tally = tally = activity.tally(consumer)
        tally.connects += 1
        if outcome == "hit":
            tally.hits += 1
        elif outcome == "miss":
            tally.misses += 1
        elif outcome == "error":
            tally.errors += 1
        else:
            tally.stopped += 1

    def count_end(self, failed):
        """Count the end of the connection: refused (never accepted) or a disconnect."""
        tally = self.tally
        tally.activity.roll(time.time())
        if self.record.state == "rejected":
            tally.refused += 1
        else:
            tally.disconnects += 1
        if failed:
            tally.errors += 1

    def delivered(self, message):
        """Log a channel-layer message delivered to this connection's consumer."""
        record = self.record
        if record.events is not None:
            record.events.append(layer_event(message, record.settings))

    def channel_created(self, name, alias):
        self.record.channel_name = name
        self.record.channel_layer = alias
        by_channel[name] = self

    def joined(self, group):
        record = self.record
        if group not in record.groups:
            record.groups = (*record.groups, group)

    def left(self, group):
        record = self.record
        if group in record.groups:
            record.groups = tuple(joined for joined in record.groups if joined != group)
            keep = record.settings["MAX_GROUP_HISTORY"]
            record.groups_left = (*record.groups_left, group)[-keep:]

    def changed_by_admin(self, group, joined, by):
        """Note that an admin user (``by``) added the connection to ``group`` or removed it."""
        if joined:
            self.joined(group)
        else:
            self.left(group)
        record = self.record
        keep = record.settings["MAX_GROUP_HISTORY"]
        change = (group, "join" if joined else "leave", by, time.time())
        record.group_changes = (*record.group_changes, change)[-keep:]

    async def finish(self, error=None):
        """The application returned or raised: close the record and hand it over."""
        if not self.routed:
            await self.decide(error)
        try:
            record = self.record
            failed = False
            if error is not None and record.error is None:
                record.error = f"{type(error).__name__}: {error}"
                if record.outcome == "hit":
                    record.outcome = "error"
                    failed = True
            if record.state == "connecting" and record.type == "websocket":
                record.state = "rejected"
            elif record.state != "rejected":
                record.state = "closed"
            record.user = _username(self.child) or record.user
            record.ended = record.last_activity = time.time()
            self.count_end(failed)
            channel = record.channel_name
            if channel is not None and by_channel.get(channel) is self:
                del by_channel[channel]
            await self.store(self.registry.closed, record)
        except Exception as exc:
            report_failure(exc)


def _size(message):
    data = message.get("bytes")
    if data:
        return len(data)
    text = message.get("text")
    if text:
        return len(text) if text.isascii() else len(text.encode())
    return 0


def _username(scope):
    """The username an auth middleware put in the scope, or None (anonymous or not ready)."""
    user = scope.get("user") if scope is not None else None
    if user is None:
        return None
    try:
        return user.get_username() if user.is_authenticated else None
    except Exception:  # a lazy user not resolved yet, or not a Django user at all
        return None
