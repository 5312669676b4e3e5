"""The recent frames of one connection (``RECORD_EVENTS``), as Socket.IO's admin shows a socket's.

When the log is on, a record keeps its last ``MAX_EVENTS`` events in a bounded deque, each a
tuple ``(time, direction, type, size, preview)``: ``direction`` is ``in`` (from the client),
``out`` (to the client) or ``group`` (a channel-layer message delivered to the consumer: a
group message, or one sent to its channel). ``preview`` is cut to ``EVENT_PREVIEW``
characters when the frame is recorded, so a log costs at most MAX_EVENTS × EVENT_PREVIEW
characters; JSON values under secret-looking keys (the ``REDACT_QUERY_KEYS`` words) are
redacted before that, so a secret is never kept; binary frames show their first bytes in hex.
"""

import json
import time
from collections import deque

from django.conf import settings as django_settings

from channels_admin.conf import REDACTED


def event_log(settings):
    """A new, empty log for a record, or None when ``RECORD_EVENTS`` is off."""
    on = settings["RECORD_EVENTS"]
    if on is None:
        on = django_settings.DEBUG
    return deque(maxlen=settings["MAX_EVENTS"]) if on else None


def frame_event(direction, message, settings):
    """The event of an ASGI ``websocket.receive``/``websocket.send`` message."""
    data = message.get("bytes")
    if data is not None:
        return (time.time(), direction, message["type"], len(data), binary_preview(data, settings))
    text = message.get("text") or ""
    size = len(text) if text.isascii() else len(text.encode())
    return (time.time(), direction, message["type"], size, text_preview(text, settings))


def layer_event(message, settings):
    """The event of a channel-layer message delivered to the consumer (``group``)."""
    text = json.dumps(redact_json(message, settings["_redact_query_keys"]), default=repr)
    limit = settings["EVENT_PREVIEW"]
    return (time.time(), "group", str(message.get("type")), len(text.encode()), text[:limit])


def text_preview(text, settings):
    """The first ``EVENT_PREVIEW`` characters, secret JSON values redacted first."""
    limit = settings["EVENT_PREVIEW"]
    words = settings["_redact_query_keys"]
    stripped = text.lstrip()
    if stripped[:1] in ("{", "[") and any(word in text.lower() for word in words):
        try:
            value = json.loads(text)
        except ValueError:
            return "[unreadable JSON with a secret-looking key: not shown]"
        text = json.dumps(redact_json(value, words), ensure_ascii=False)
    return text[:limit]


def binary_preview(data, settings):
    shown = data[: settings["EVENT_PREVIEW"] // 3]
    return "%d bytes: %s" % (len(data), shown.hex(" "))


def redact_json(value, words):
    """``value`` with the values under keys containing one of ``words`` replaced, at any
    depth (a new value; the message itself is left alone)."""
    if isinstance(value, dict):
        return {
            key: REDACTED
            if isinstance(key, str) and any(word in key.lower() for word in words)
            else redact_json(item, words)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact_json(item, words) for item in value]
    return value


def event_dict(event):
    at, direction, kind, size, preview = event
    return {"time": at, "direction": direction, "type": kind, "size": size, "preview": preview}
