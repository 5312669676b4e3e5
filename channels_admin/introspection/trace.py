"""The live trace of one connection, in explain()'s words.

Routers append ``(router, scope, match)`` while they dispatch (see
:mod:`channels_admin.routing.trace`). Each entry is re-asked of the router's explainer on the
very scope it saw, which is pure, so the steps are the decision dispatch actually took.
"""

from channels_admin.introspection.apps import consumer_class, wrapped_app
from channels_admin.introspection.explain import explainer_for, walk
from channels_admin.introspection.messages import taken_by
from channels_admin.introspection.names import dotted_path, json_safe
from channels_admin.introspection.steps import router_info
from channels_admin.routing.messages import MessageRouter


def steps_from_trace(trace):
    """JSON steps for a list of ``(router, scope, match)``, as :func:`explain` gives them.

    When a nested router misses, dispatch comes back to the outer router with the same scope
    and tries its next route: the steps taken since then are dropped, because the outer
    router's explanation already tells that nested miss among its candidates.
    """
    steps = []
    seen = {}  # (router, scope) -> index of its step
    for router, scope, match in trace:
        explainer = explainer_for(router)
        try:
            if explainer is None:  # a router appending steps no explainer knows yet
                info = router_info(router, matched=json_safe(getattr(match, "key", None)))
            else:
                info = explainer(router, scope, walk).info
        except Exception as exc:
            info = router_info(router, error=f"{type(exc).__name__}: {exc}")
        key = (id(router), id(scope))
        if key in seen:
            del steps[seen[key] :]
        seen[key] = len(steps)
        steps.append(info)
    return steps


def reached(trace):
    """``(app, scope)`` the last router handed the connection to, or ``(None, None)``."""
    if not trace:
        return None, None
    router, scope, match = trace[-1]
    if match is None:
        return None, None
    if isinstance(router, MessageRouter):  # match is (consumer, kwargs) of the message
        return taken_by(router, scope, *match)
    return match.app, match.scope


def waits_for_message(trace, root):
    """Whether routing has reached a MessageRouter (through middleware) that has not routed
    a message yet: it decides on the message it is about to receive, not before."""
    if trace:
        router, _, match = trace[-1]
        if isinstance(router, MessageRouter) or match is None:
            return False
        app = match.app
    else:
        app = root
    try:
        for _ in range(64):
            if isinstance(app, MessageRouter):
                return True
            if app is None or explainer_for(app) is not None or consumer_class(app) is not None:
                return False
            app = wrapped_app(app)
    except Exception:  # a middleware whose attributes raise: decide now, as for any other app
        pass
    return False


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
