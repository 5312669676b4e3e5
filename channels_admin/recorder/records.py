"""What the registry keeps for each connection and routing decision, and how it reads as JSON.

A live connection costs memory for as long as it lives, so its :class:`Record` holds only
slots: counters and states as plain attributes, and references to what the server and the
routers already hold (the scope with its raw headers and query string, the routers' trace,
the route's kwargs). :meth:`Record.as_dict` turns them into the JSON record readers get
(every field, see docs/architecture.md), redacted and worded at that moment.
"""

import os
import time
from collections import deque
from functools import lru_cache
from urllib.parse import unquote_plus

from django.conf import settings as django_settings
from django.http.cookie import parse_cookie
from django.utils.crypto import salted_hmac

from channels_admin.conf import REDACTED
from channels_admin.introspection import steps_from_trace
from channels_admin.introspection.actions import action_steps
from channels_admin.introspection.names import json_safe
from channels_admin.introspection.steps import nearest
from channels_admin.recorder.events import event_dict
from channels_admin.recorder.refusals import refusal_step, refusal_text
from channels_admin.registry.servers import server_id

#: Action errors one connection keeps (its page shows them).
MAX_ACTION_ERRORS = 20
#: A Sec-WebSocket-Protocol entry longer than this that names a secret carries it inline.
MAX_SUBPROTOCOL_NAME = 32


class Record:
    """One connection: written in place by the recorder, read with :meth:`as_dict`."""

    __slots__ = (
        "id",
        "scope",
        "settings",
        "type",
        "path",
        "user",
        "started",
        "last_activity",
        "ended",
        "state",
        "status",
        "close_code",
        "closed_by",
        "refused_by",
        "error",
        "outcome",
        "trace",
        "trace_source",
        "consumer",
        "route",
        "channel_name",
        "channel_layer",
        "groups",
        "groups_left",
        "group_changes",
        "messages_in",
        "messages_out",
        "bytes_in",
        "bytes_out",
        "action_statuses",
        "action_errors",
        "events",
    )

    def __init__(self, scope, settings):
        kind = scope["type"]
        self.id = os.urandom(8).hex()
        self.scope = scope  # headers, query string and client are read from it, raw
        self.settings = settings  # what to redact, how many groups left to remember
        self.type = kind
        self.path = scope.get("channel") if kind == "channel" else scope.get("path")
        self.user = None
        self.started = self.last_activity = time.time()
        self.ended = None
        self.state = "connecting"
        self.status = None
        self.close_code = None
        self.closed_by = None
        self.refused_by = None  # dotted path of the app that closed before accepting
        self.error = None
        self.outcome = None
        # The routers' (router, scope, match) entries, worded by steps_from_trace() on read;
        # a dry run's steps are already words.
        self.trace = ()
        self.trace_source = "dispatch"
        self.consumer = None
        self.route = None  # the consumer scope's "url_route": kwargs and args
        self.channel_name = None
        self.channel_layer = None
        self.groups = ()  # tuples, rebuilt on the rare join or leave
        self.groups_left = ()
        self.group_changes = ()  # (group, "join" | "leave", username, time), from the dashboard
        self.messages_in = 0
        self.messages_out = 0
        self.bytes_in = 0
        self.bytes_out = 0
        # Made on the first action reply / action error (AsyncAPIConsumer connections only).
        self.action_statuses = None
        self.action_errors = None
        self.events = None  # the frames log (events.py): a bounded deque when RECORD_EVENTS

    def as_dict(self):
        """The record as readers get it: a new dict of JSON values, secrets redacted."""
        scope = self.scope
        client = scope.get("client")
        route = self.route or {}
        steps = self.steps()
        return {
            "id": self.id,
            "pid": os.getpid(),
            "server": server_id(),
            "type": self.type,
            "path": self.path,
            "query_string": redact_query(scope.get("query_string", b""), self.settings),
            "headers": redact_headers(scope.get("headers", ()), self.settings),
            "client": f"{client[0]}:{client[1]}" if client else None,
            "session_hash": session_hash(session_cookie(scope.get("headers", ()))),
            "user": self.user,
            "started": self.started,
            "last_activity": self.last_activity,
            "ended": self.ended,
            "state": self.state,
            "status": self.status,
            "close_code": self.close_code,
            "closed_by": self.closed_by,
            "refused_by": self.refused_by,
            "refusal": refusal_text(self),
            "error": self.error,
            "outcome": self.outcome,
            "nearest": nearest(steps) if self.outcome == "miss" else None,
            "trace": steps,
            "trace_source": self.trace_source,
            "consumer": self.consumer,
            "kwargs": self.kwargs(),
            "args": json_safe(list(route.get("args", ()))),
            "channel_name": self.channel_name,
            "channel_layer": self.channel_layer,
            "groups": list(self.groups),
            "groups_left": list(self.groups_left),
            "group_changes": [
                {"group": group, "action": action, "by": by, "time": at}
                for group, action, by, at in self.group_changes
            ],
            "messages_in": self.messages_in,
            "messages_out": self.messages_out,
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "action_statuses": {str(k): n for k, n in (self.action_statuses or {}).items()},
            "action_errors": list(self.action_errors or ()),
            "events": None if self.events is None else [event_dict(e) for e in list(self.events)],
        }

    def steps(self):
        """Return the routing steps in explain()'s words, the refusal last if there was one."""
        if self.trace_source == "dispatch":
            steps = steps_from_trace(self.trace)
        else:
            steps = list(self.trace)
        text = refusal_text(self)
        if text is not None:
            steps.append(refusal_step(self, text))
        return steps

    def action_replied(self, action, route, status, error):
        """Count one action reply; keep the last ``MAX_ACTION_ERRORS`` errors (4xx and 5xx)."""
        statuses = self.action_statuses
        if statuses is None:
            statuses = self.action_statuses = {}
        statuses[status] = statuses.get(status, 0) + 1
        if status < 400:
            return
        if self.action_errors is None:
            self.action_errors = deque(maxlen=MAX_ACTION_ERRORS)
        self.action_errors.append(
            {
                "time": time.time(),
                "action": action,
                "route": route,
                "status": status,
                "error": error,
            }
        )

    def kwargs(self):
        return json_safe((self.route or {}).get("kwargs", {}))


class Decision:
    """How routing decided one connection: its record, with the outcome and error as they
    were at decision time (the connection may fail later)."""

    __slots__ = ("record", "outcome", "error")

    def __init__(self, record):
        self.record = record
        self.outcome = record.outcome
        self.error = record.error

    def as_dict(self):
        record = self.record
        steps = record.steps()
        return {
            "connection": record.id,
            "time": record.started,
            "type": record.type,
            "path": record.path,
            "outcome": self.outcome,
            "consumer": record.consumer,
            "kwargs": record.kwargs(),
            "error": self.error,
            "refused_by": record.refused_by,
            "refusal": refusal_text(record),
            "nearest": nearest(steps) if self.outcome == "miss" else None,
            "action": None,
            "route": None,
            "steps": steps,
        }

    @property
    def problem(self):
        """Whether routing went wrong: a miss, an error, or a refusal at any layer."""
        return self.outcome not in ("hit", "stopped") or self.record.refused_by is not None


class ActionDecision(Decision):
    """An action frame that no route or action took (its reply was a 404 or 405)."""

    __slots__ = ("action", "route", "router", "time")

    def __init__(self, record, action, route, router, status, error):
        self.record = record
        self.time = time.time()
        self.outcome = "miss"
        self.error = f"{status}: {error}"
        self.action = action
        self.route = route
        self.router = router

    def as_dict(self):
        found = super().as_dict()
        scope = {"type": self.record.type, "path_remaining": self.route or ""}
        steps = action_steps(self.router, scope)[0] if self.route else []
        found.update(
            time=self.time,
            action=self.action,
            route=self.route,
            steps=steps,
            nearest=nearest(steps),
            refused_by=None,
            refusal=None,
        )
        return found


def session_hash(session_key):
    """A keyed digest of a session cookie's value, never the value itself: enough to tell
    which connections share a browser session with a request (the debug-toolbar panel)."""
    if not session_key:
        return None
    return salted_hmac("channels_admin.session", session_key, algorithm="sha256").hexdigest()[:16]


def session_cookie(headers):
    """The Django session cookie's value among raw ASGI headers, or None."""
    for name, value in headers:
        if name == b"cookie":
            return parse_cookie(value.decode("latin-1")).get(django_settings.SESSION_COOKIE_NAME)
    return None


def redact_headers(headers, settings):
    """``(name, value)`` pairs, decoded, names lower-case, secret values replaced.

    A value is secret when its header is one of ``REDACT_HEADERS`` or its name contains one
    of ``REDACT_WORDS``; ``Sec-WebSocket-Protocol`` keeps its entries up to the first that
    names a secret (``access_token, <JWT>`` becomes ``access_token, [redacted]``).
    """
    names = settings["_redact_headers"]
    words = settings["_redact_words"]
    redacted = []
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if name in names or secret_header(name, words):
            value = REDACTED
        elif name == "sec-websocket-protocol":
            value = redact_subprotocols(value, words)
        redacted.append((name, value))
    return tuple(redacted)


def redact_subprotocols(value, words):
    """A ``Sec-WebSocket-Protocol`` list with every entry after one containing a secret word
    replaced: browsers cannot send headers with a WebSocket, so a token rides there. That
    entry goes too when it is long enough to carry the token itself (Kubernetes'
    ``base64url.bearer.authorization.k8s.io.<token>``)."""
    entries = value.split(",")
    for index, entry in enumerate(entries):
        if contains_word(entry.lower(), words):
            kept = (
                entries[:index]
                if len(entry.strip()) > MAX_SUBPROTOCOL_NAME
                else entries[: index + 1]
            )
            hidden = [" " + REDACTED] * (len(entries) - len(kept))
            return ",".join(kept + hidden).lstrip()
    return value


def redact_query(query_string, settings):
    """The decoded query string, values of keys whose decoded name contains a secret word
    (``REDACT_WORDS`` or ``REDACT_QUERY_KEYS``) replaced."""
    if not query_string:
        return ""
    words = settings["_redact_query_keys"]
    parts = []
    for part in query_string.decode("latin-1").split("&"):
        key, equals, _ = part.partition("=")
        if equals and contains_word(unquote_plus(key).lower(), words):
            part = f"{key}={REDACTED}"
        parts.append(part)
    return "&".join(parts)


def contains_word(name, words):
    return any(word in name for word in words)


@lru_cache(maxsize=1024)  # the same few header names, connection after connection
def secret_header(name, words):
    """Whether a header name contains a secret word (only names are cached, never values)."""
    return contains_word(name, words)
