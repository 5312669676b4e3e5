"""Action routing in describe(), and its dry run, :func:`explain_action`.

An ``AsyncAPIConsumer`` routes each frame by its ``route``, not the connection, so
``explain(app, scope)`` stops at the consumer; ``explain_action(app, route, scope)`` then says
which handler a frame sent to ``route`` would reach, and why, asking the same pure
``ActionRouter`` calls the consumer makes.
"""

from channels_admin.actions import AsyncAPIConsumer
from channels_admin.actions.handlers import AsyncActionHandler
from channels_admin.actions.routing import ActionRoute, ActionRouter
from channels_admin.introspection.apps import consumer_class
from channels_admin.introspection.describe import (
    _include_name,
    _route_how,
    describe_consumer,
    node,
    register_describer,
)
from channels_admin.introspection.explain import Step, complete_scope, reach, register_explainer
from channels_admin.introspection.names import dotted_path, json_safe
from channels_admin.introspection.steps import (
    NESTED_MISS,
    candidate,
    nearest,
    router_info,
    why_not,
)

REST_MISS = "the rest of the route did not match"
MAX_LEVELS = 64


def describe_api_consumer(app, tree):
    """An AsyncAPIConsumer: its own actions, and its routepatterns as children."""
    described = describe_consumer(app, tree)
    cls = consumer_class(app)
    described["actions"] = sorted(cls.actions)
    described["children"] = [tree.node(entry) for entry in cls.action_router.entries]
    return described


def describe_action_route(entry, tree):
    """A routepatterns entry: a handler (with its actions and own routes) or an include."""
    how = _route_how(entry.index, entry.url_pattern)
    children = [] if entry.router is None else [tree.node(e) for e in entry.router.entries]
    if entry.handler is None:
        return {
            "kind": "action_include",
            "label": "include",
            "dotted": None,
            "source": None,
            "children": children,
            "include": _include_name(entry.url_pattern.urlconf_name),
            **how,
        }
    cls = entry.handler.handler_class
    return node(
        "action_handler",
        cls,
        children,
        handler=dotted_path(cls),
        actions=sorted(cls.actions),
        initkwargs=json_safe(getattr(entry.handler, "handler_initkwargs", {})),
        **how,
    )


def explain_action_router(router, scope, walk=None):
    """One level of action routing, as ``ActionRouter.match()`` tries it: ``Step.app`` is the
    nested router when the route goes on, else the handler."""
    path = scope["path_remaining"].lstrip("/")
    info = router_info(router, "action_router", "route", path)
    candidates = info["candidates"]
    for entry in router.entries:
        how = {"index": entry.index, "pattern": str(entry.url_pattern.pattern)}
        found = entry.pattern.match(path)
        if found is None:
            candidate(candidates, False, **how, **why_not(entry.pattern, path))
            continue
        child = entry.child_scope(scope, found)
        remaining = child["path_remaining"]
        inner = entry.router.match(child) if entry.router is not None else None
        if inner is None and (entry.handler is None or (entry.router is not None and remaining)):
            reason = NESTED_MISS if entry.handler is None else REST_MISS
            nested = action_steps(entry.router, child)[0]
            candidate(candidates, False, **how, reason=reason, nested=nested)
            continue
        candidate(candidates, True, **how)
        info["matched"] = entry.index
        return Step(info, entry.router if inner is not None else entry.handler, child)
    info["error"] = f"No route matches {path!r}."
    return Step(info)


def action_steps(router, scope):
    """``(steps, handler, scope)`` of a route resolved from ``router`` down to its handler
    (handler None on a miss)."""
    steps = []
    app = router
    for _ in range(MAX_LEVELS):
        step = explain_action_router(app, scope)
        steps.append(step.info)
        if not isinstance(step.app, ActionRouter):
            return steps, step.app, step.scope
        app, scope = step.app, step.scope
    return steps, None, None


def explain_action(app, route, scope=None):
    """Which handler a frame sent to ``route`` would reach, and why; a dry run.

    ``app`` is an AsyncAPIConsumer (the class or its ``as_asgi()``), or any application: then
    ``scope`` (a path, as for :func:`explain`) says which connection, and the consumer is the
    one ``explain()`` finds. Returns ``matched``, ``consumer``, ``handler`` (dotted path of the
    class whose actions would run: the consumer's own when no route matches), ``actions``,
    ``kwargs``, ``args``, ``steps`` and ``error``; ``connection`` is explain()'s answer when
    one was needed.
    """
    result = {
        "matched": False,
        "consumer": None,
        "handler": None,
        "actions": [],
        "kwargs": {},
        "args": [],
        "route": route,
        "steps": [],
        "error": None,
        "nearest": None,
    }
    scope = dict(scope or {})
    cls = consumer_class(app)
    if not _routes_actions(cls):
        connection, app, scope = reach(app, complete_scope(scope))
        result["connection"] = connection
        cls = consumer_class(app) if app is not None else None
        if not _routes_actions(cls):
            where = connection["consumer"] or "no consumer"
            result["error"] = f"The connection goes to {where}, which does not route actions."
            return result
    result["consumer"] = dotted_path(cls)
    handler = None
    if route:
        steps, handler, leaf_scope = action_steps(
            cls.action_router, dict(scope, path_remaining=route)
        )
        result["steps"] = steps
    if handler is None:
        own = ", ".join(sorted(cls.actions)) or "none"
        if route:  # see AsyncAPIConsumer.route_action
            missed, other = f"No route matches {route!r}", 404
        else:
            missed, other = "No route given", 405
        result.update(handler=result["consumer"], actions=sorted(cls.actions))
        result["nearest"] = nearest(result["steps"])
        result["error"] = (
            f"{missed}: the frame goes to the consumer's own actions ({own}); "
            f"any other action is answered {other}."
        )
    else:
        scope = leaf_scope
        handler_class = handler.handler_class
        result.update(
            matched=True, handler=dotted_path(handler_class), actions=sorted(handler_class.actions)
        )
    url_route = scope.get("url_route") or {}
    result["kwargs"] = json_safe(url_route.get("kwargs", {}))
    result["args"] = json_safe(list(url_route.get("args", ())))
    return result


def _routes_actions(cls):
    return isinstance(cls, type) and issubclass(cls, AsyncActionHandler)


register_describer(AsyncAPIConsumer, describe_api_consumer)
register_describer(ActionRoute, describe_action_route)
register_explainer(ActionRouter, explain_action_router)
