"""
Channels 1 message routing, served on ASGI by :class:`MessageRouter`.

Routing is a list of routing objects, tried in order; the first that matches a
:class:`~channels_admin.messages.Message` names the consumer. ``route``, ``route_class`` and
``include`` are the built-in ones; anything with ``match(message) -> (consumer, kwargs) | None``
and ``channel_names() -> set`` is one too. Semantics are Channels 1.1.8's:

- filters are regexes on message keys, compiled once and matched with ``re.match`` (anchored
  at the start only), all of them (AND); a message without the key does not match; named
  groups become keyword arguments, positional groups are refused when the route is built;
- ``include`` strips what its filters matched from a copy of the message before the routes it
  includes see it, passes its captures on (the inner route wins a name clash) and nests;
- ``path`` keeps its leading slash: ``path=r"^/chat/"``.

``MessageRouter`` is the ASGI application. Each event of a connection becomes a message on
the channel named by the event type (``websocket.connect``, ``websocket.receive``,
``websocket.disconnect``, ``http.request``, ...) whose content is the scope's ``path`` (the
full path, also under a ``URLRouter``), ``headers``, ``query_string``, ``client``, ``server``
(and ``scheme``, ``root_path``, ``method``, ``http_version`` where present), ``reply_channel``,
``order`` for websockets, and the event's own keys. A ``channel`` scope (``runworker``) gives
each event as the content of a message on the scope's channel. Events of one connection are
handled one at a time, in order.

When nothing matches:

- ``websocket.connect``: the handshake is rejected with close code **4404**;
- ``http.request``: a plain ``404`` response;
- any other event: dropped and logged (logger ``channels_admin.routing.messages``).

A consumer that raises is logged and the connection goes on; if it raised handling
``websocket.connect`` before answering, the handshake is rejected with close code **1011**.
When the connection ends, the channel session a decorator opened for it is deleted.
"""

import functools
import importlib
import inspect
import logging
import re
import uuid

from asgiref.sync import iscoroutinefunction
from channels import DEFAULT_CHANNEL_LAYER
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch
from django.core.exceptions import ImproperlyConfigured

from channels_admin.messages import Connection, Message
from channels_admin.routing.trace import record_step

logger = logging.getLogger(__name__)

CLOSE_NO_ROUTE = 4404
CLOSE_CONSUMER_ERROR = 1011
SCOPE_KEYS = (
    "path",
    "headers",
    "query_string",
    "client",
    "server",
    "scheme",
    "root_path",
    "method",
    "http_version",
)
END_EVENTS = frozenset({"websocket.disconnect", "http.disconnect"})


def import_by_path(dotted, what):
    """The object a ``module.name`` path names; ImproperlyConfigured saying what failed."""
    module_name, _, name = dotted.rpartition(".")
    if not module_name:
        raise ImproperlyConfigured(f"Cannot import {what} {dotted!r}: expected 'module.name'.")
    try:
        return getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as error:
        raise ImproperlyConfigured(f"Cannot import {what} {dotted!r}: {error}")


def compile_filters(filters, owner):
    """Compile filter regexes once; refuse positional groups (there is no name to pass)."""
    compiled = {}
    for name, pattern in filters.items():
        if isinstance(pattern, bytes):
            pattern = pattern.decode("ascii")
        try:
            regex = re.compile(pattern)
        except (re.error, TypeError) as error:
            raise ValueError(f"Filter {name}={pattern!r} of {owner} is not a valid regex: {error}")
        if regex.groups != len(regex.groupindex):
            raise ValueError(
                f"Filter {name}={pattern!r} of {owner} has a positional group; "
                "only named groups (?P<name>...) are allowed."
            )
        compiled[name] = regex
    return compiled


def consumer_name(consumer):
    """Return ``module.name`` of a consumer: a function, a class, a bound method or any
    callable (an instance is named by its class)."""
    if inspect.ismethod(consumer):
        owner = consumer.__self__
        owner = owner if isinstance(owner, type) else type(owner)
        return f"{owner.__module__}.{owner.__name__}.{consumer.__name__}"
    if not (isinstance(consumer, type) or inspect.isroutine(consumer)):
        consumer = type(consumer)
    return f"{getattr(consumer, '__module__', '?')}.{consumer.__name__}"


def filter_text(value):
    """A message value as text for a filter; None (no match) when it is not text."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        try:
            return value.decode("ascii")
        except UnicodeDecodeError:
            return None
    return None


def filters_repr(filters):
    return "".join(f", {name}={regex.pattern!r}" for name, regex in filters.items())


def match_filter(regex, message, name):
    if name not in message:
        return None
    value = filter_text(message[name])
    return None if value is None else regex.match(value)


class Route:
    """Sends messages on one of ``channels`` (a name or a list) whose keys match the filters
    to ``consumer`` (a callable or its dotted path)."""

    def __init__(self, channels, consumer, **filters):
        self.channels = [channels] if isinstance(channels, str) else list(channels)
        if isinstance(consumer, str):
            consumer = import_by_path(consumer, "consumer")
        self.consumer = consumer
        self.filters = compile_filters(filters, f"the route to {consumer_name(consumer)}")

    def match(self, message):
        if message.channel.name not in self.channels:
            return None
        kwargs = {}
        for name, regex in self.filters.items():
            found = match_filter(regex, message, name)
            if found is None:
                return None
            kwargs.update(found.groupdict())
        return self.consumer, kwargs

    def channel_names(self):
        return set(self.channels)

    def __repr__(self):
        channels = self.channels[0] if len(self.channels) == 1 else self.channels
        return f"route({channels!r}, {consumer_name(self.consumer)}{filters_repr(self.filters)})"


class RouteClass(Route):
    """A route to a class-based consumer, listening on the channels its
    ``channel_names()`` lists."""

    def __init__(self, consumer, **filters):
        if isinstance(consumer, str):
            consumer = import_by_path(consumer, "consumer")
        if not callable(getattr(consumer, "channel_names", None)):
            raise ValueError(
                f"route_class() needs a class-based consumer with channel_names(), "
                f"got {consumer!r}; use route(channel, consumer) for a function."
            )
        super().__init__(sorted(consumer.channel_names()), consumer, **filters)

    def __repr__(self):
        return f"route_class({consumer_name(self.consumer)}{filters_repr(self.filters)})"


def resolve_routing(routing):
    """A routing list from a list, a ``{channel: consumer}`` dict or a dotted path to either."""
    if isinstance(routing, str):
        routing = import_by_path(routing, "channel routing")
    if isinstance(routing, dict):
        return [Route(channel, consumer) for channel, consumer in routing.items()]
    if not isinstance(routing, (list, tuple)):
        raise ImproperlyConfigured(
            f"Channel routing must be a list or a {{channel: consumer}} dict, not {routing!r}."
        )
    for entry in routing:
        if not (callable(getattr(entry, "match", None)) and hasattr(entry, "channel_names")):
            raise ImproperlyConfigured(
                f"{entry!r} is not a routing object (it needs match(message) and "
                "channel_names()): use route(), route_class() or include()."
            )
    return list(routing)


class Include(tuple):
    """Includes another routing (a list, a dict or a dotted path) under optional filters.

    It is also ``django.urls.include``: as the view of ``path("api/", include(...))`` it is the
    ``(urlconf, app_name, namespace)`` triple Django expects, so a ``URLRouter`` nests the
    included ``path()`` entries, a module path or ``(patterns, app_name)``. The message
    routing is resolved on first use, so one object serves both; ``namespace`` is therefore
    Django's argument and cannot be a filter name.
    """

    def __new__(cls, routing, namespace=None, **filters):
        urlconf, app_name = routing, None
        if isinstance(routing, tuple) and len(routing) == 2 and isinstance(routing[1], str):
            urlconf, app_name = routing
        return super().__new__(cls, (urlconf, app_name, namespace or app_name))

    def __init__(self, routing, namespace=None, **filters):
        self.filters = compile_filters(filters, "include()")

    @functools.cached_property
    def routing(self):
        return resolve_routing(self[0])

    def match(self, message):
        kwargs = {}
        if self.filters:
            message = message.copy()
            for name, regex in self.filters.items():
                found = match_filter(regex, message, name)
                if found is None:
                    return None
                kwargs.update(found.groupdict())
                message[name] = found.string[found.end() :]
        for entry in self.routing:
            found = entry.match(message)
            if found is not None:
                consumer, inner_kwargs = found
                return consumer, {**kwargs, **inner_kwargs}
        return None

    def channel_names(self):
        names = set()
        for entry in self.routing:
            names.update(entry.channel_names())
        return names

    def __repr__(self):
        return f"include({self[0]!r}{filters_repr(self.filters)})"


route = Route
route_class = RouteClass
include = Include


def accept_connection(message, **kwargs):
    """Accept a websocket: ``check_default()``'s consumer for ``websocket.connect``."""
    message.reply_channel.send({"accept": True})


def ignore_message(message, **kwargs):
    """Do nothing: ``check_default()``'s consumer for websocket frames and disconnects."""


class Router:
    """A whole routing: ``match(message)`` tries it in order; ``channels`` lists every
    channel name it can match, includes included. Bad routing fails here, at build time."""

    def __init__(self, routing):
        self.root = Include(routing)
        self.routing = self.root.routing
        self.channels = self.root.channel_names()

    def add_route(self, route):
        """Append a routing object to the routing, after every other."""
        self.routing.extend(resolve_routing([route]))
        self.channels = self.root.channel_names()

    def check_default(self, http_consumer=None):
        """Append Channels 1's defaults: websockets are accepted and their frames ignored;
        ``http.request`` goes to ``http_consumer`` if given (Django's views are served by the
        ``http`` branch of a ``ProtocolTypeRouter``, not through messages)."""
        if http_consumer is not None:
            self.add_route(Route("http.request", http_consumer))
        self.add_route(Route("websocket.connect", accept_connection))
        self.add_route(Route(["websocket.receive", "websocket.disconnect"], ignore_message))

    def match(self, message):
        if message.channel.name not in self.channels:
            return None
        return self.root.match(message)

    def __repr__(self):
        return f"<Router {len(self.routing)} routes on {sorted(self.channels)}>"


def is_async(consumer):
    if isinstance(consumer, type):
        return False
    return iscoroutinefunction(consumer) or iscoroutinefunction(type(consumer).__call__)


async def run_consumer(consumer, message, kwargs):
    """Await an ``async def`` consumer; run any other in a thread, as Channels' SyncConsumer."""
    if is_async(consumer):
        await consumer(message, **kwargs)
    else:
        await database_sync_to_async(functools.partial(consumer, message, **kwargs))()


class MessageRouter:
    """An ASGI application that serves connections Channels 1 style: every event is a
    ``Message`` routed through ``route``/``route_class``/``include`` to a consumer.

    ``routing`` is a list, a dict or a dotted path to either. Keyword arguments from an
    enclosing ``URLRouter`` (``scope["url_route"]``) reach consumers too; route captures win.
    """

    def __init__(self, routing, channel_layer_alias=DEFAULT_CHANNEL_LAYER):
        self.router = Router(routing)
        self.routing = self.router.routing
        self.channel_layer_alias = channel_layer_alias

    @property
    def channels(self):
        return self.router.channels

    async def __call__(self, scope, receive, send):
        channel_layer = get_channel_layer(self.channel_layer_alias)
        if scope["type"] == "channel":
            await self._serve_channel(scope, receive, channel_layer)
            return
        if scope["type"] not in ("websocket", "http"):
            raise ValueError(
                f"MessageRouter serves websocket, http and channel scopes, not {scope['type']!r}."
            )
        if channel_layer is not None:
            channel_name = await channel_layer.new_channel()
        else:
            channel_name = f"local!{uuid.uuid4().hex}"
        connection = Connection(scope, send, channel_name, channel_layer)

        async def from_client():
            return True, await receive()

        async def from_layer():
            return False, await channel_layer.receive(channel_name)

        async def dispatch(item):
            is_event, message = item
            if is_event:
                await self._handle_event(connection, message)
            else:
                await self._deliver(connection, message)

        sources = [from_client] if channel_layer is None else [from_client, from_layer]
        try:
            await await_many_dispatch(sources, dispatch)
        except StopConsumer:
            pass

    def _message(self, connection, event):
        scope = connection.scope
        content = {key: scope[key] for key in SCOPE_KEYS if key in scope}
        content["reply_channel"] = connection.channel_name
        if scope["type"] == "websocket":
            content["order"] = connection.order
            connection.order += 1
        content.update(
            (key, value) for key, value in event.items() if key != "type" and value is not None
        )
        return Message(content, event["type"], connection.channel_layer, connection=connection)

    async def _handle_event(self, connection, event):
        message = self._message(connection, event)
        found = self.router.match(message)
        record_step(self, connection.scope, found)
        if found is None:
            await self._unrouted(connection, message)
        else:
            consumer, kwargs = found
            url_kwargs = connection.scope.get("url_route", {}).get("kwargs", {})
            try:
                await run_consumer(consumer, message, {**url_kwargs, **kwargs})
            except Exception:
                logger.exception(
                    "%s raised handling %s (path %r)",
                    consumer_name(consumer),
                    message.channel.name,
                    connection.scope.get("path"),
                )
                if message.channel.name == "websocket.connect" and connection.replies.pending:
                    await connection.reply({"close": CLOSE_CONSUMER_ERROR})
        if event["type"] in END_EVENTS or connection.replies.finished:
            await self._forget_channel_session(connection)
            raise StopConsumer()

    async def _forget_channel_session(self, connection):
        """Delete the connection's channel session from the session store: no one reads it
        once the reply channel is gone, and stores keep sessions for weeks."""
        if connection.channel_session is None:
            return
        try:
            await database_sync_to_async(connection.channel_session.delete)()
        except Exception:
            logger.exception("Could not delete the channel session of %s", connection)

    async def _unrouted(self, connection, message):
        channel, path = message.channel.name, connection.scope.get("path")
        if channel == "websocket.connect":
            logger.info("No route for websocket.connect on %r: rejected, %d", path, CLOSE_NO_ROUTE)
            await connection.reply({"close": CLOSE_NO_ROUTE})
        elif channel == "http.request" and connection.replies.pending:
            logger.info("No route for http.request on %r: 404", path)
            await connection.reply(
                {
                    "status": 404,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                    "content": f"No route for {path}".encode(),
                }
            )
        else:
            logger.info("No route for %s on %r: message dropped", channel, path)

    async def _deliver(self, connection, content):
        """A message on the connection's channel (a group send or a worker's reply)."""
        try:
            await connection.reply({k: v for k, v in content.items() if k != "type"})
        except ValueError as error:
            logger.warning("Dropped a message for %s: %s", connection, error)

    async def _serve_channel(self, scope, receive, channel_layer):
        while True:
            event = await receive()
            message = Message(event, scope["channel"], channel_layer)
            found = self.router.match(message)
            record_step(self, dict(scope, content=event), found)  # filters read the content
            if found is None:
                logger.info("No route for a message on %s: dropped", scope["channel"])
                continue
            consumer, kwargs = found
            try:
                await run_consumer(consumer, message, kwargs)
            except Exception:
                logger.exception("%s raised on %s", consumer_name(consumer), scope["channel"])

    def __repr__(self):
        return f"<MessageRouter {len(self.routing)} routes on {sorted(self.channels)}>"
