"""``explain(app, scope)``: which application would take a scope, and why; a dry run.

Nothing is called: routers are asked through their pure ``match()`` (ours) or have their
logic mirrored (stock ``channels.routing``), middleware is looked through, never run.

Each router type has an explainer, ``explainer(router, scope, walk) -> Step``, looked up by
class in ``EXPLAINERS`` (add yours with :func:`register_explainer`). ``Step.info`` is the
JSON step; ``Step.app``/``Step.scope`` are where routing goes next (``app`` None on a miss).
``walk(app, scope)`` explains a nested application, for "nested miss" answers.

A step: ``router`` (dotted), ``label``, ``kind``, ``stock``, ``looked_at`` (the scope key),
``value``, ``candidates`` (each with ``matched`` and, when it failed, ``reason``; ``nested``
steps for a nested miss), ``matched`` (the winning key or None) and, on a miss, ``error`` and
``raises`` (the exception dispatch would raise).
"""

import functools
from typing import NamedTuple

from channels import routing as stock

from channels_admin.introspection.apps import consumer_class, leaf_kind, wrapped_app
from channels_admin.introspection.describe import stock_nesting_note
from channels_admin.introspection.names import dotted_path, json_safe, label
from channels_admin.introspection.steps import (
    NESTED_MISS,
    WRONG_CHANNEL,
    WRONG_PROTOCOL,
    candidate,
    nearest,
    nested_hint,
    router_info,
    skipped_reason,
    why_not,
)
from channels_admin.routing import scope as ours

MAX_DEPTH = 64

ROOT_PATH_MISS = "path does not start with root_path"

EXPLAINERS = {}


class Step(NamedTuple):
    info: dict
    app: object = None
    scope: dict | None = None


def register_explainer(cls, explainer):
    """Explain instances of ``cls`` (and subclasses) with ``explainer(router, scope, walk)``."""
    EXPLAINERS[cls] = explainer


def explainer_for(app):
    for cls in type(app).__mro__:
        if cls in EXPLAINERS:
            return EXPLAINERS[cls]
    return None


def explain(app, scope):
    """Where ``scope`` would be routed in ``app``: ``matched``, ``consumer`` (dotted path of the
    consumer class, or of the leaf app when it is not a consumer, e.g. Django's handler),
    ``app_kind`` (consumer, django or app), ``kwargs``, ``args``, ``steps``, ``chain`` (every
    app passed through, middleware included) and ``error`` (what dispatch would raise)."""
    try:
        return walk(app, complete_scope(scope))
    except Exception as exc:  # a scope no router expects (e.g. url_route not a dict)
        return _result(False, [], [label(app)], error=f"{type(exc).__name__}: {exc}")


def complete_scope(scope):
    """``scope`` with the keys a server always sets (type, headers, path) filled in."""
    scope = {"type": "websocket", "headers": [], **scope}
    if scope["type"] in ("websocket", "http"):
        scope.setdefault("path", "/")
    return scope


def walk(app, scope, depth=0):
    return reach(app, scope, depth)[0]


def reach(app, scope, depth=0):
    """``(result, app, scope)``: explain()'s answer, and the application and scope it ends at
    (both None on a miss), for callers that look further inside the consumer."""
    steps, chain = [], []
    while True:
        if depth > MAX_DEPTH:
            error = "application nested too deeply to explain"
            return _result(False, steps, chain, error=error), None, None
        depth += 1
        chain.append(label(app))
        explainer = explainer_for(app)
        if explainer is not None:
            try:
                step = explainer(app, scope, functools.partial(walk, depth=depth))
            except Exception as exc:  # what dispatch would raise too (e.g. no "path" key)
                error = f"{type(exc).__name__}: {exc}"
                steps.append(router_info(app, error=error, raises=type(exc).__name__))
                return _result(False, steps, chain, error=steps[-1]["error"]), None, None
            steps.append(step.info)
            if step.app is None:
                return _result(False, steps, chain, error=step.info.get("error")), None, None
            app, scope = step.app, step.scope
            continue
        inner = wrapped_app(app)
        if inner is not None:
            app = inner
            continue
        return _leaf(app, scope, steps, chain), app, scope


def _leaf(app, scope, steps, chain):
    route = scope.get("url_route") or {}
    cls = consumer_class(app)
    return _result(
        True,
        steps,
        chain,
        consumer=dotted_path(cls if cls is not None else app),
        app_kind=leaf_kind(app),
        kwargs=json_safe(route.get("kwargs", {})),
        args=json_safe(list(route.get("args", ()))),
    )


def _result(matched, steps, chain, **extra):
    result = {
        "matched": matched,
        "consumer": None,
        "app_kind": None,
        "kwargs": {},
        "args": [],
        "steps": steps,
        "chain": chain,
        "error": None,
        "nearest": None,
    }
    result.update(extra)
    if not matched:
        result["nearest"] = nearest(steps)
    return result


#: What to do when a scope's type has no application but another type's would.
PROTOCOL_HINTS = {
    "websocket": "this application routes websocket here: connect with a ws:// or wss:// URL",
    "http": "this application routes http here: request it with an http:// or https:// URL",
    "channel": "this application routes channel names here: send to the channel instead",
}


def _given(**fields):
    return {key: value for key, value in fields.items() if value is not None}


def mapping_explainer(kind, looked_at, wrong):
    """ProtocolTypeRouter (on ``type``) and ChannelNameRouter (on ``channel``), ours or stock."""

    hits = {}  # (router, value) -> info: every connection of a protocol shares one step

    def explain_mapping(router, scope, walk):
        if looked_at == "channel" and "channel" not in scope:
            raise ValueError("ChannelNameRouter got a scope without a 'channel' key.")
        value = scope[looked_at]
        app = router.application_mapping.get(value)
        if app is not None:
            info = hits.get((router, value))
            if info is None:
                info = router_info(router, kind, looked_at, value, matched=json_safe(value))
                candidate(info["candidates"], True, key=value)
                if len(hits) < 256:
                    hits[(router, value)] = info
            return Step(info, app, scope)
        info = router_info(router, kind, looked_at, value)
        for key in router.application_mapping:
            hint = PROTOCOL_HINTS.get(key) if looked_at == "type" else None
            candidate(info["candidates"], False, key=key, reason=wrong, **_given(hint=hint))
        what = "scope type" if looked_at == "type" else "channel name"
        info["error"] = f"No application configured for {what} {value!r}"
        info["raises"] = "RouteNotFound" if not info["stock"] else "ValueError"
        return Step(info)

    return explain_mapping




def _child_scope(scope, remaining, args, kwargs):
    outer = scope.get("url_route", {})  # not a dict: raises as dispatch does
    return dict(
        scope,
        path_remaining=remaining,
        url_route={
            "args": tuple(outer.get("args", ())) + tuple(args),
            "kwargs": {**outer.get("kwargs", {}), **kwargs},
        },
    )


def _url_miss(info, scope, path):
    info["error"] = f"No route found for path {path!r}."
    if "path_remaining" in scope:
        info["raises"] = "Resolver404"
    else:
        info["raises"] = "ValueError" if info["stock"] else "RouteNotFound"
    return Step(info)


def _nested_missed(result):
    """Whether a nested explanation ends in a miss its parent URLRouter would catch."""
    return (
        not result["matched"]
        and bool(result["steps"])
        and (result["steps"][-1].get("raises") == "Resolver404")
    )


def explain_url_router(router, scope, walk):
    """Our URLRouter: the candidates its first-segment index lets dispatch try, in order."""
    path = ours.route_path(scope)
    info = router_info(router, "url_router", "path", path)
    if path is None:
        info["value"] = json_safe(scope.get("path"))
        info["error"] = ROOT_PATH_MISS
        info["raises"] = "RouteNotFound"
        return Step(info)
    candidates = info["candidates"]
    tried = router.candidates(path)
    skipped = len(router.entries) - len(tried)  # ruled out by their first segment, never tried
    for entry in tried:
        how = {"index": entry.index, "pattern": str(entry.pattern)}
        found = entry.match_path(path)
        if found is None:
            candidate(candidates, False, **how, **why_not(entry.pattern, path, entry.match_path))
            continue
        remaining, args, kwargs = found
        child = _child_scope(scope, remaining, args, {**kwargs, **(entry.defaults or {})})
        if entry.nested_router is not None:
            missed = entry.nested_router.match(child) is None  # the same pure call as dispatch
        elif entry.router is not None:  # a stock router below: dispatch calls it to know
            missed = _nested_missed(walk(entry.app, child))
        else:
            missed = False
        if missed:
            nested = walk(entry.app, child)["steps"]
            hint = nested_hint(entry.pattern, nested)
            candidate(candidates, False, **how, reason=NESTED_MISS, nested=nested, hint=hint)
            continue
        candidate(candidates, True, **how)
        info["matched"] = entry.index
        info["skipped"] = skipped
        return Step(info, entry.app, child)
    info["skipped"] = skipped
    if skipped:  # on a miss every route is shown: the ones the index ruled out too
        tried_ids = {id(entry) for entry in tried}
        for entry in router.entries:
            if id(entry) not in tried_ids:
                how = {"index": entry.index, "pattern": str(entry.pattern)}
                why = skipped_reason(entry.pattern, path, entry.match_path)
                candidate(candidates, False, **how, **why)
        candidates.sort(key=lambda tried: tried["index"])
    return _url_miss(info, scope, path)


def explain_stock_url_router(router, scope, walk):
    """Stock channels.routing.URLRouter, mirrored: every route in order, nested misses caught
    as ``Resolver404``, and its blind spot for routers under middleware (channels#1428)."""
    path = ours.route_path(scope)
    info = router_info(router, "url_router", "path", path)
    if path is None:
        info["value"] = json_safe(scope.get("path"))
        info["error"] = ROOT_PATH_MISS
        info["raises"] = "ValueError"
        return Step(info)
    candidates = info["candidates"]
    for index, route in enumerate(router.routes):
        how = {"index": index, "pattern": str(route.pattern)}
        note = stock_nesting_note(route)
        if note:
            how["note"] = note
        found = route.pattern.match(path)
        if not found:
            candidate(candidates, False, **how, **why_not(route.pattern, path))
            continue
        remaining, args, kwargs = found
        child = _child_scope(scope, remaining, args, {**kwargs, **route.default_args})
        if ours.find_path_router(route.callback) is not None:
            result = walk(route.callback, child)
            if _nested_missed(result):
                nested = result["steps"]
                hint = nested_hint(route.pattern, nested)
                candidate(candidates, False, **how, reason=NESTED_MISS, nested=nested, hint=hint)
                continue
        candidate(candidates, True, **how)
        info["matched"] = index
        return Step(info, route.callback, child)
    return _url_miss(info, scope, path)


register_explainer(
    ours.ProtocolTypeRouter, mapping_explainer("protocol_router", "type", WRONG_PROTOCOL)
)
register_explainer(
    stock.ProtocolTypeRouter, mapping_explainer("protocol_router", "type", WRONG_PROTOCOL)
)
register_explainer(
    ours.ChannelNameRouter, mapping_explainer("channel_router", "channel", WRONG_CHANNEL)
)
register_explainer(
    stock.ChannelNameRouter, mapping_explainer("channel_router", "channel", WRONG_CHANNEL)
)
register_explainer(ours.URLRouter, explain_url_router)
register_explainer(stock.URLRouter, explain_stock_url_router)
