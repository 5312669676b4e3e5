"""
The Channels 1 message model on ASGI: ``Message``, ``Channel``, ``Group`` and reply channels.

A :class:`Message` is content that arrived on a named channel. Consumers answer on
``message.reply_channel`` with Channels 1's reply dicts, which the connection a
``MessageRouter`` serves turns into ASGI events:

======================  ===================================================================
websocket reply         ASGI
======================  ===================================================================
``{"accept": True}``    accept the handshake (a text or bytes reply accepts it implicitly,
                        as Daphne 1 did)
``{"accept": False}``   reject the handshake
``{"text": "..."}``     a text frame (``{"bytes": b"..."}``: a binary frame)
``{"close": True}``     close with 1000; ``{"close": 4001}`` closes with that code; before the
                        handshake is accepted, either rejects it with that code
======================  ===================================================================

HTTP replies are Channels 1's response dicts: ``{"status", "headers", "content",
"more_content"}`` first, then ``{"content", "more_content"}`` chunks.

Each operation has a sync spelling for consumers that run in a thread (``send``, ``add``,
``discard``) and an async one to ``await`` in the event loop (``asend``, ``aadd``,
``adiscard``).
"""

import asyncio
import copy
import logging

from asgiref.sync import async_to_sync
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import get_channel_layer
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

WEBSOCKET_REPLY_KEYS = frozenset({"accept", "text", "bytes", "close"})
DECORATED = ("channel_session", "http_session", "user", "turn_taken")  # set by sessions.py


def run_sync(async_function, *args):
    """Run ``async_function`` from sync code; in the event loop, say what to await instead."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return async_to_sync(async_function)(*args)
    name = async_function.__name__
    raise RuntimeError(
        f"{name[1:]}() is for sync code (consumers running in a thread); "
        f"in the event loop use `await ...{name}()`."
    )


def require_layer(channel_layer, what):
    if channel_layer is None:
        raise ImproperlyConfigured(
            f"{what} needs a channel layer: configure CHANNEL_LAYERS in your settings."
        )
    return channel_layer


def channel_name_of(channel):
    """A channel's name, whether given a Channel (a reply channel) or a plain name."""
    return channel if isinstance(channel, str) else channel.name


class Channel:
    """A named channel on the channel layer; ``send()`` puts a message on it.

    A message without a ``"type"`` is sent with the channel name as its type, so Channels'
    own ``runworker`` (which refuses untyped messages) can serve the channel.
    """

    def __init__(self, name, alias=DEFAULT_CHANNEL_LAYER, channel_layer=None):
        self.name = name
        self.channel_layer = channel_layer or get_channel_layer(alias)

    async def asend(self, content, immediately=False):
        # ``immediately`` is Channels 1's flag to skip buffering; sends here are never buffered.
        if not isinstance(content, dict):
            raise TypeError(f"Channel({self.name!r}).send() takes a dict, not {content!r}.")
        layer = require_layer(self.channel_layer, f"Channel({self.name!r}).send()")
        await layer.send(self.name, {"type": self.name, **content})

    def send(self, content, immediately=False):
        run_sync(self.asend, content, immediately)

    def __repr__(self):
        return f"<Channel {self.name}>"


class ReplyChannel(Channel):
    """The reply channel of a connection served in this process: replies go straight out."""

    def __init__(self, connection):
        super().__init__(connection.channel_name, channel_layer=connection.channel_layer)
        self.connection = connection

    async def asend(self, content, immediately=False):
        await self.connection.reply(content)


class Group:
    """A named set of channels on the channel layer; ``send()`` reaches every member."""

    def __init__(self, name, alias=DEFAULT_CHANNEL_LAYER, channel_layer=None):
        self.name = name
        self.channel_layer = channel_layer or get_channel_layer(alias)

    def _layer(self, operation):
        return require_layer(self.channel_layer, f"Group({self.name!r}).{operation}()")

    async def aadd(self, channel):
        await self._layer("add").group_add(self.name, channel_name_of(channel))

    async def adiscard(self, channel):
        await self._layer("discard").group_discard(self.name, channel_name_of(channel))

    async def asend(self, content, immediately=False):
        if not isinstance(content, dict):
            raise TypeError(f"Group({self.name!r}).send() takes a dict, not {content!r}.")
        await self._layer("send").group_send(self.name, content)

    def add(self, channel):
        run_sync(self.aadd, channel)

    def discard(self, channel):
        run_sync(self.adiscard, channel)

    def send(self, content, immediately=False):
        run_sync(self.asend, content, immediately)

    def __repr__(self):
        return f"<Group {self.name}>"


class Message:
    """Content that arrived on a channel: ``message["key"]``, ``.channel``, ``.reply_channel``.

    ``connection`` is set when the message came from a connection a ``MessageRouter``
    serves; the session decorators keep its HTTP session and user there.
    """

    def __init__(self, content, channel_name, channel_layer=None, *, connection=None):
        self.content = content
        self.channel_layer = channel_layer or get_channel_layer()
        self.channel = Channel(channel_name, channel_layer=self.channel_layer)
        self.connection = connection
        reply_name = content.get("reply_channel")
        if connection is not None and reply_name == connection.channel_name:
            self.reply_channel = connection.reply_channel
        elif reply_name is not None:
            self.reply_channel = Channel(reply_name, channel_layer=self.channel_layer)
        else:
            self.reply_channel = None

    def __getitem__(self, key):
        return self.content[key]

    def __setitem__(self, key, value):
        self.content[key] = value

    def __contains__(self, key):
        return key in self.content

    def get(self, key, default=None):
        return self.content.get(key, default)

    def keys(self):
        return self.content.keys()

    def items(self):
        return self.content.items()

    def values(self):
        return self.content.values()

    def copy(self):
        """A message with a deep copy of the content, on the same channel and connection."""
        return Message(
            copy.deepcopy(self.content),
            self.channel.name,
            self.channel_layer,
            connection=self.connection,
        )

    def with_content(self, content):
        """Return a message with ``content`` on the same channel and connection, sharing the
        sessions, user and ordering turn the decorators gave this one."""
        message = Message(
            content, self.channel.name, self.channel_layer, connection=self.connection
        )
        for name in DECORATED:
            if hasattr(self, name):
                setattr(message, name, getattr(self, name))
        return message

    def __repr__(self):
        return f"<Message on {self.channel.name}>"


class WebsocketReplies:
    """Turns Channels 1 websocket reply dicts into ASGI events, tracking the handshake."""

    def __init__(self):
        self.pending = True  # handshake neither accepted nor rejected
        self.closed = False
        self.finished = False  # a websocket runs until the client's disconnect

    def events(self, reply):
        if not isinstance(reply, dict) or not WEBSOCKET_REPLY_KEYS & reply.keys():
            raise ValueError(
                "A websocket reply is a dict with accept, text, bytes or close "
                f"(e.g. {{'text': 'hi'}}), not {reply!r}."
            )
        if "text" in reply and "bytes" in reply:
            raise ValueError("A websocket reply carries text or bytes, not both.")
        if self.closed:
            logger.debug("Dropped a reply for a closed websocket: %r", reply)
            return []
        events = []
        frame = "text" in reply or "bytes" in reply
        close = reply.get("close", False)
        if self.pending:
            if reply.get("accept") is False:
                self.pending, self.closed = False, True
                return [{"type": "websocket.close", "code": 1000}]
            if reply.get("accept") or frame:
                self.pending = False
                events.append({"type": "websocket.accept"})
        if frame and not self.pending:
            key = "text" if "text" in reply else "bytes"
            events.append({"type": "websocket.send", key: reply[key]})
        if close is not False:
            self.pending, self.closed = False, True
            events.append({"type": "websocket.close", "code": 1000 if close is True else close})
        return events


class HttpReplies:
    """Turns Channels 1 HTTP response dicts into ``http.response.start`` / ``.body`` events."""

    def __init__(self):
        self.pending = True  # no response started
        self.finished = False

    def events(self, reply):
        if not isinstance(reply, dict):
            raise ValueError(f"An HTTP reply is a dict, not {reply!r}.")
        if self.finished:
            logger.debug("Dropped a reply for a finished HTTP response: %r", reply)
            return []
        events = []
        if self.pending:
            if "status" not in reply:
                raise ValueError(
                    "The first HTTP reply needs a status: "
                    "{'status': 200, 'headers': [...], 'content': b'...'}."
                )
            headers = [(_bytes(name), _bytes(value)) for name, value in reply.get("headers", ())]
            events.append(
                {"type": "http.response.start", "status": reply["status"], "headers": headers}
            )
            self.pending = False
        more = bool(reply.get("more_content", False))
        content = reply.get("content", b"")
        if isinstance(content, str):
            content = content.encode("utf-8")
        events.append({"type": "http.response.body", "body": content, "more_body": more})
        self.finished = not more
        return events


def _bytes(value):
    return value.encode("latin-1") if isinstance(value, str) else value


REPLIES = {"websocket": WebsocketReplies, "http": HttpReplies}


class Connection:
    """One client connection a ``MessageRouter`` serves: scope, reply channel, state.

    ``http_session``, ``http_user`` and ``user`` are filled in by the session decorators, so
    they are loaded once per connection; ``channel_session`` is the last channel session they
    opened, which the ``MessageRouter`` deletes from the session store when the connection ends.
    """

    def __init__(self, scope, send, channel_name, channel_layer):
        self.scope = scope
        self.send = send
        self.channel_name = channel_name
        self.channel_layer = channel_layer
        self.replies = REPLIES[scope["type"]]()
        self.reply_channel = ReplyChannel(self)
        self.order = 0  # Channels 1's per-connection event counter
        self.channel_session = None  # opened by a decorator; deleted when the connection ends
        self.http_session_loaded = False
        self.http_session = None
        self.http_user = None  # the user of the HTTP session (http_session_user)
        self.user = None  # the user carried by the channel session (channel_session_user)
        self.user_id = None  # the channel session's user id that ``user`` was loaded for

    async def reply(self, content):
        for event in self.replies.events(content):
            await self.send(event)

    def __repr__(self):
        return f"<Connection {self.channel_name} {self.scope.get('path', '')}>"
