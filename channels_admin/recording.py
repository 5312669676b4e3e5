"""One connection's record while it lives, and the ASGI wrappers that keep it current.

A :class:`Recording` builds the record when the connection opens, counts messages on the
``receive``/``send`` wrappers it hands to the application, turns the routers' trace into
steps once routing has decided (the application's first ``receive``), and hands the record
to the registry when the connection ends. A failure anywhere in here is logged once and
never reaches the connection.
"""

import logging
import os
import time
from contextvars import ContextVar

from django.conf import settings as django_settings
from django.http.cookie import parse_cookie
from django.urls.exceptions import Resolver404
from django.utils.crypto import salted_hmac

from channels_admin.conf import REDACTED
from channels_admin.introspection import explain, steps_from_trace
from channels_admin.introspection.names import json_safe
from channels_admin.introspection.trace import consumer_of, reached, waits_for_message
from channels_admin.routing.scope import RouteNotFound
from channels_admin.routing.trace import Trace

logger = logging.getLogger("channels_admin.recorder")

#: The recording of the connection whose task is running (set by the middleware).
current_recording: ContextVar["Recording | None"] = ContextVar(
    "channels_admin_recording", default=None
)

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


class Recording:
    """The live record of one connection and the wrappers that keep it current."""

    __slots__ = (
        "record",
        "registry",
        "trace",
        "root",
        "scope",
        "child",
        "routed",
        "_receive",
        "_send",
        "max_group_history",
    )

    def __init__(self, root, scope, receive, send, registry, settings):
        self.root = root
        self.scope = scope
        self.registry = registry
        self.trace = Trace()
        self.child = None
        self.routed = False
        self._receive = receive
        self._send = send
        self.max_group_history = settings["MAX_GROUP_HISTORY"]
        self.record = new_record(scope, settings)

    async def store(self, method, value):
        try:
            await method(value)
        except Exception as exc:
            report_failure(exc)

    async def receive(self):
        if not self.routed:
            await self.decide()
        message = await self._receive()
        try:
            record = self.record
            kind = message["type"]
            if kind == "websocket.receive":
                record["messages_in"] += 1
                record["bytes_in"] += _size(message)
            elif kind == "http.request":
                record["messages_in"] += 1
                record["bytes_in"] += len(message.get("body") or b"")
            elif kind == "websocket.disconnect":
                if record["close_code"] is None:
                    record["close_code"] = message.get("code", 1000)
            elif record["type"] == "channel":  # every message of a worker's channel is data
                record["messages_in"] += 1
            record["last_activity"] = time.time()
        except Exception as exc:
            report_failure(exc)
        return message

    async def send(self, message):
        if not self.routed:
            await self.decide()
        try:
            record = self.record
            kind = message["type"]
            if kind == "websocket.send":
                record["messages_out"] += 1
                record["bytes_out"] += _size(message)
            elif kind == "http.response.body":
                record["messages_out"] += 1
                record["bytes_out"] += len(message.get("body") or b"")
            elif kind == "websocket.accept" or kind == "http.response.start":
                record["state"] = "accepted"
                record["status"] = message.get("status")
                record["user"] = _username(self.child)
                await self.store(self.registry.changed, record)
            elif kind == "websocket.close":
                if record["state"] == "connecting":
                    record["state"] = "rejected"
                record["close_code"] = message.get("code", 1000)
            record["last_activity"] = time.time()
        except Exception as exc:
            report_failure(exc)
        return await self._send(message)

    async def close(self, code):
        """Close the connection from outside (the dashboard, through the channel layer)."""
        self.record["closed_by"] = "admin"
        self.record["close_code"] = code
        await self._send({"type": "websocket.close", "code": code})

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
                record["trace"] = steps_from_trace(self.trace)
                app, self.child = reached(self.trace)
                missed = app is None
                consumer = consumer_of(app) if app is not None else None
            else:  # no router of ours on the way: say what a dry run finds
                result = explain(self.root, self.scope)
                record["trace"] = result["steps"]
                record["trace_source"] = "dry-run"
                missed = not result["matched"]
                consumer = result["consumer"]
            if self.child is not None:
                route = self.child.get("url_route") or {}
                record["kwargs"] = json_safe(route.get("kwargs", {}))
                record["args"] = json_safe(list(route.get("args", ())))
                record["user"] = _username(self.child)
            record["consumer"] = consumer
            self.trace.close()  # converted: the routers' objects need not stay alive
            if error is not None:
                record["error"] = f"{type(error).__name__}: {error}"
                routing_error = isinstance(error, (RouteNotFound, Resolver404, ValueError))
                record["outcome"] = "miss" if missed and routing_error else "error"
            else:
                record["outcome"] = "hit" if consumer else "miss" if missed else "stopped"
            await self.store(self.registry.changed, record)
            await self.store(self.registry.decided, decision(record))
        except Exception as exc:
            report_failure(exc)

    def channel_created(self, name, alias):
        self.record["channel_name"] = name
        self.record["channel_layer"] = alias
        by_channel[name] = self

    def joined(self, group):
        groups = self.record["groups"]
        if group not in groups:
            groups.append(group)

    def left(self, group):
        record = self.record
        if group in record["groups"]:
            record["groups"].remove(group)
            history = record["groups_left"]
            history.append(group)
            del history[: -self.max_group_history]

    async def finish(self, error=None):
        """The application returned or raised: close the record and hand it over."""
        if not self.routed:
            await self.decide(error)
        try:
            record = self.record
            if error is not None and record["error"] is None:
                record["error"] = f"{type(error).__name__}: {error}"
                if record["outcome"] == "hit":
                    record["outcome"] = "error"
            if record["state"] == "connecting" and record["type"] == "websocket":
                record["state"] = "rejected"
            elif record["state"] != "rejected":
                record["state"] = "closed"
            record["user"] = _username(self.child) or record["user"]
            record["ended"] = record["last_activity"] = time.time()
            channel = record["channel_name"]
            if channel is not None and by_channel.get(channel) is self:
                del by_channel[channel]
            await self.store(self.registry.closed, record)
        except Exception as exc:
            report_failure(exc)


def new_record(scope, settings):
    """The record of a connection that just opened (every field, see docs/architecture.md)."""
    now = time.time()
    client = scope.get("client")
    kind = scope["type"]
    return {
        "id": os.urandom(8).hex(),
        "pid": os.getpid(),
        "type": kind,
        "path": scope.get("channel") if kind == "channel" else scope.get("path"),
        "query_string": redact_query(scope.get("query_string", b""), settings),
        "headers": redact_headers(scope.get("headers", ()), settings),
        "client": f"{client[0]}:{client[1]}" if client else None,
        "session_hash": session_hash(_session_cookie(scope.get("headers", ()))),
        "user": None,
        "started": now,
        "last_activity": now,
        "ended": None,
        "state": "connecting",
        "status": None,
        "close_code": None,
        "closed_by": None,
        "error": None,
        "outcome": None,
        "trace": [],
        "trace_source": "dispatch",
        "consumer": None,
        "kwargs": {},
        "args": [],
        "channel_name": None,
        "channel_layer": None,
        "groups": [],
        "groups_left": [],
        "messages_in": 0,
        "messages_out": 0,
        "bytes_in": 0,
        "bytes_out": 0,
    }


def decision(record):
    """A routing decision, for the recent-decisions list (shares the record's steps)."""
    return {
        "connection": record["id"],
        "time": record["started"],
        "type": record["type"],
        "path": record["path"],
        "outcome": record["outcome"],
        "consumer": record["consumer"],
        "kwargs": record["kwargs"],
        "error": record["error"],
        "steps": record["trace"],
    }


def session_hash(session_key):
    """A keyed digest of a session cookie's value, never the value itself: enough to tell
    which connections share a browser session with a request (the debug-toolbar panel)."""
    if not session_key:
        return None
    return salted_hmac("channels_admin.session", session_key, algorithm="sha256").hexdigest()[:16]


def _session_cookie(headers):
    for name, value in headers:
        if name == b"cookie":
            return parse_cookie(value.decode("latin-1")).get(django_settings.SESSION_COOKIE_NAME)
    return None


#: Decoded header names and common values, shared by every record (bounded).
_decoded = {}
UNIQUE_HEADERS = frozenset(["sec-websocket-key"])


def redact_headers(headers, settings):
    secret = settings["_redact_headers"]
    redacted = []
    for raw_name, raw_value in headers:
        name = _decoded.get(raw_name) or _decode(raw_name, lower=True)
        if name in secret:
            value = REDACTED
        elif name in UNIQUE_HEADERS:
            value = raw_value.decode("latin-1")
        else:
            value = _decoded.get(raw_value) or _decode(raw_value)
        redacted.append((name, value))
    return tuple(redacted)


def _decode(raw, lower=False):
    text = raw.decode("latin-1")
    if lower:
        text = text.lower()
    if len(_decoded) < 1024 and len(raw) <= 128:  # "websocket", "Upgrade", user agents...
        _decoded[raw] = text
    return text


def redact_query(query_string, settings):
    if not query_string:
        return ""
    words = settings["_redact_query_keys"]
    parts = []
    for part in query_string.decode("latin-1").split("&"):
        key, equals, _ = part.partition("=")
        if equals and any(word in key.lower() for word in words):
            part = f"{key}={REDACTED}"
        parts.append(part)
    return "&".join(parts)


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
