"""Channels 1 routing in describe() and explain(): ``MessageRouter``, its routes, and the
generic consumers.

A ``MessageRouter`` decides per message, not per connection, so a dry run asks it about the
connection's first message: ``websocket.connect`` for a websocket scope, ``http.request``
(empty body) for http, and for a ``channel`` scope a message on the scope's channel whose
content is ``scope["content"]`` (empty if absent). The message is built as the router builds
it (the scope's path, headers, query string...), and every routing object is tried in order
the way ``Router.match()`` tries them, saying why each one did not take it.
"""

from channels_admin.generic import BaseConsumer
from channels_admin.introspection.apps import consumer_class
from channels_admin.introspection.describe import describe_consumer, node, register_describer
from channels_admin.introspection.explain import Step, register_explainer
from channels_admin.introspection.names import dotted_path
from channels_admin.introspection.steps import NESTED_MISS, candidate, router_info
from channels_admin.messages import Message
from channels_admin.routing.messages import (
    SCOPE_KEYS,
    Include,
    MessageRouter,
    Route,
    RouteClass,
    filter_text,
)

CHANNEL_MISS = "channel name not listened to"
FILTER_MISS = "filter did not match"
MAX_VALUE = 120


def describe_message_router(router, tree):
    children = [tree.node(entry, route_index=i) for i, entry in enumerate(router.routing)]
    return node("message_router", router, children, stock=False, channels=sorted(router.channels))


def describe_route(route, tree):
    """A ``route()``/``route_class()``: its consumer, named by the channels and filters."""
    consumer = route.consumer
    if consumer_class(consumer) is not None:  # a class-based consumer, e.g. a generic one
        described = tree.node(consumer)
    else:
        described = node("consumer", consumer, consumer=dotted_path(consumer), initkwargs={})
    described.update(
        route="route_class" if isinstance(route, RouteClass) else "route",
        channels=list(route.channels),
        filters=_filters(route.filters),
    )
    return described


def describe_include(include, tree):
    children = [tree.node(entry, route_index=i) for i, entry in enumerate(include.routing)]
    name = include[0] if isinstance(include[0], str) else None
    return {
        "kind": "message_include",
        "label": "include",
        "dotted": name,
        "source": None,
        "children": children,
        "route": "include",
        "filters": _filters(include.filters),
    }


def describe_generic_consumer(app, tree):
    """A Channels 1 class-based consumer (or its ``as_asgi()``): the channels it takes, and a
    demultiplexer's stream consumers as children."""
    described = describe_consumer(app, tree)
    cls = consumer_class(app)
    described["channels"] = sorted(cls.channel_names())
    streams = getattr(cls, "consumers", None)
    if isinstance(streams, dict):
        described["children"] = [tree.node(stream, key=key) for key, stream in streams.items()]
    return described


def _filters(filters):
    return {name: regex.pattern for name, regex in filters.items()}


def first_message(scope):
    """``(channel name, content)`` of the first message a MessageRouter routes for ``scope``."""
    kind = scope["type"]
    if kind == "channel":
        return scope["channel"], dict(scope.get("content") or {})
    if kind not in ("websocket", "http"):
        raise ValueError(f"MessageRouter serves websocket, http and channel scopes, not {kind!r}.")
    content = {key: scope[key] for key in SCOPE_KEYS if key in scope}
    if kind == "websocket":
        content["order"] = 0
        return "websocket.connect", content
    content.update(body=b"", more_body=False)
    return "http.request", content


def explain_message_router(router, scope, walk):
    channel, content = first_message(scope)
    info = router_info(router, "message_router", "channel", channel)
    found = _try_routing(router.routing, channel, content, info["candidates"])
    if found is None:
        info["error"] = _unrouted(channel, scope)
        return Step(info)
    info["matched"], consumer, kwargs = found
    return Step(info, *taken_by(router, scope, consumer, kwargs))


def taken_by(router, scope, consumer, kwargs):
    """``(app, scope)`` of the consumer a MessageRouter routed to, as explain() names it: the
    class behind ``as_asgi()``, a decorated function's own function, and the URL kwargs
    merged with the route's (which win, as in dispatch)."""
    app = getattr(router, "consumer_class", None) or consumer
    while not isinstance(app, type) and getattr(app, "__wrapped__", None) is not None:
        app = app.__wrapped__  # channel_session and friends use functools.wraps
    outer = scope.get("url_route") or {}
    url_route = {
        "args": tuple(outer.get("args", ())),
        "kwargs": {**outer.get("kwargs", {}), **kwargs},
    }
    return app, dict(scope, url_route=url_route)


def _try_routing(routing, channel, content, candidates):
    """``(index, consumer, kwargs)`` of the first entry taking the message, as Include.match
    tries them; each entry tried is added to ``candidates``."""
    for index, entry in enumerate(routing):
        how = {"index": index, "pattern": _show(entry)}
        if isinstance(entry, Include):
            kwargs, stripped, miss = _apply_filters(entry.filters, content, strip=True)
            if miss:
                candidate(candidates, False, **how, reason=FILTER_MISS, detail=miss)
                continue
            nested = router_info(entry, "message_include", "channel", channel, stripped=stripped)
            nested["label"] = "include"
            inner_content = {**content, **stripped}
            found = _try_routing(entry.routing, channel, inner_content, nested["candidates"])
            if found is None:
                candidate(candidates, False, **how, reason=NESTED_MISS, nested=[nested])
                continue
            nested["matched"], consumer, inner = found
            candidate(candidates, True, **how, nested=[nested])
            return index, consumer, {**kwargs, **inner}
        if isinstance(entry, Route):
            if channel not in entry.channels:
                detail = "listens on " + ", ".join(entry.channels)
                candidate(candidates, False, **how, reason=CHANNEL_MISS, detail=detail)
                continue
            kwargs, _, miss = _apply_filters(entry.filters, content)
            if miss:
                candidate(candidates, False, **how, reason=FILTER_MISS, detail=miss)
                continue
            found = entry.consumer, kwargs
        else:  # any other routing object: its match() is pure by contract
            found = entry.match(Message(dict(content), channel))
            if found is None:
                candidate(candidates, False, **how, reason="match() returned None")
                continue
        candidate(candidates, True, **how, consumer=dotted_path(found[0]))
        return index, found[0], found[1]
    return None


def _show(entry):
    """A routing entry as written; an include of a list says how many routes it holds."""
    if not isinstance(entry, Include):
        return repr(entry)
    name = repr(entry[0]) if isinstance(entry[0], str) else f"<{len(entry.routing)} routes>"
    filters = "".join(f", {key}={regex.pattern!r}" for key, regex in entry.filters.items())
    return f"include({name}{filters})"


def _apply_filters(filters, content, strip=False):
    """``(kwargs, stripped, miss)``: the captures, what an include leaves of each value it
    filtered, and why the filters refused the message (None if they did not)."""
    kwargs, stripped = {}, {}
    for name, regex in filters.items():
        if name not in content:
            return kwargs, stripped, f"the message has no {name!r}"
        value = filter_text(content[name])
        if value is None:
            return kwargs, stripped, f"{name} is not text: {_short(content[name])}"
        found = regex.match(value)
        if found is None:
            return kwargs, stripped, f"{name}: {regex.pattern!r} did not match {_short(value)}"
        kwargs.update(found.groupdict())
        if strip:
            stripped[name] = value[found.end() :]
    return kwargs, stripped, None


def _short(value):
    text = repr(value)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 3] + "..."


def _unrouted(channel, scope):
    """What dispatch does with a message nothing routes (see routing/messages.py)."""
    where = f"{channel} on {scope.get('path', scope.get('channel'))!r}"
    if channel == "websocket.connect":
        return f"No route for {where}: the handshake is rejected with close code 4404."
    if channel == "http.request":
        return f"No route for {where}: a 404 response."
    return f"No route for {where}: the message is dropped."


register_describer(MessageRouter, describe_message_router)
register_describer(Route, describe_route)
register_describer(Include, describe_include)
register_describer(BaseConsumer, describe_generic_consumer)
register_explainer(MessageRouter, explain_message_router)
