"""The live trace of one connection, in explain()'s words.

Routers append ``(router, scope, match)`` while they dispatch (see
:mod:`channels_admin.routing.trace`). Each entry is re-asked of the router's explainer on the
very scope it saw, which is pure, so the steps are the decision dispatch actually took.
"""

from channels_admin.introspection.apps import consumer_class, wrapped_app
from channels_admin.introspection.explain import _router_info, explainer_for, walk
from channels_admin.introspection.names import dotted_path, json_safe


def steps_from_trace(trace):
    """JSON steps for a list of ``(router, scope, match)``, as :func:`explain` gives them."""
    steps = []
    previous = None
    for router, scope, match in trace:
        explainer = explainer_for(router)
        try:
            if explainer is None:  # a router appending steps no explainer knows yet
                info = _router_info(router, matched=json_safe(getattr(match, "key", None)))
            else:
                info = explainer(router, scope, walk).info
        except Exception as exc:
            info = _router_info(router, error=f"{type(exc).__name__}: {exc}")
        if previous is not None and previous[0] is router and previous[1] is scope:
            steps[-1] = info  # dispatch retried after a stock router below missed
        else:
            steps.append(info)
        previous = (router, scope)
    return steps


def reached(trace):
    """``(app, scope)`` the last router handed the connection to, or ``(None, None)``."""
    if not trace:
        return None, None
    match = trace[-1][2]
    if match is None:
        return None, None
    return match.app, match.scope


def consumer_of(app):
    """The dotted path of the consumer class (else the leaf app) ``app`` leads to through
    middleware; None if it leads to a router that never decided (middleware answered)."""
    for _ in range(64):
        cls = consumer_class(app)
        if cls is not None:
            return dotted_path(cls)
        if explainer_for(app) is not None:
            return None
        inner = wrapped_app(app)
        if inner is None:
            return dotted_path(app)
        app = inner
    return None
