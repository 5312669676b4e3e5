"""Who refused a WebSocket: the application that closed it before ``websocket.accept``.

Only a connection closed while it is still connecting pays for this. ASGI applications await
one another, so when the refusing application sends its close, its ``__call__`` is among the
Python frames awaiting the recorder's ``send``: :func:`find_refuser` walks them outwards and
takes the innermost one that belongs to the connection's chain of applications (middleware,
routers, the consumer the routers chose). A helper consumer a middleware runs to refuse (such
as Channels' ``WebsocketDenier``) is not on the chain, so the middleware is named. When the
frames say nothing (a sync consumer sends from a worker thread), the consumer is named.
"""

import sys

from channels_admin.introspection.apps import consumer_class, wrapped_app
from channels_admin.introspection.explain import explainer_for
from channels_admin.introspection.names import dotted_path
from channels_admin.routing.messages import MessageRouter

MAX_FRAMES = 200
MAX_CHAIN = 64

#: What a well-known refusing middleware checked, read from the refused scope.
REASONS = {}


def find_refuser(root, trace):
    """Return ``(dotted path, is_consumer)`` of the application refusing the connection.

    Call it from the recorder's ``send`` while the close is being sent. ``trace`` is the
    routers' ``(router, scope, match)`` entries; None when nothing could be told.
    """
    chain = chain_of(root, trace)
    if not chain:
        return None
    consumer = consumer_class(chain[-1])
    members = {id(app) for app in chain}
    functions = {
        app.__code__: app
        for app in chain
        if hasattr(app, "__code__") and consumer_class(app) is None
    }
    frame = sys._getframe(1)
    for _ in range(MAX_FRAMES):
        if frame is None:
            break
        owner = frame.f_locals.get("self")
        if consumer is not None and isinstance(owner, consumer):
            return dotted_path(consumer), True
        if owner is not None and id(owner) in members:
            return dotted_path(owner), False
        if frame.f_code in functions:
            return dotted_path(functions[frame.f_code]), False
        frame = frame.f_back
    if consumer is not None:
        return dotted_path(consumer), True
    return None


def chain_of(root, trace):
    """Return the applications a connection passed through, from ``root`` to the last."""
    taken = {id(router): match for router, _, match in trace}
    chain = []
    app = root
    for _ in range(MAX_CHAIN):
        if app is None:
            break
        chain.append(app)
        if consumer_class(app) is not None:
            break
        if id(app) in taken:
            match = taken[id(app)]
            if isinstance(app, MessageRouter):  # its match is (consumer, kwargs)
                app = match[0] if match is not None else None
            else:
                app = match.app if match is not None else None
        elif explainer_for(app) is not None:
            break  # a router that never ran: nothing below it did either
        else:
            app = wrapped_app(app)
    return chain


def refusal_text(record):
    """Return the refusal worded for a person, or None when there was none."""
    refused_by = record.refused_by
    if refused_by is None:
        return None
    name = refused_by.rpartition(".")[2]
    code = f" (close code {record.close_code})" if record.close_code is not None else ""
    if refused_by == record.consumer:
        where = f"Refused by {name} in connect(): it closed the handshake{code} before accepting"
    elif record.outcome == "miss":
        where = f"Refused by {name}: no route took the connection{code}"
    else:
        why = REASONS.get(refused_by)
        reason = f": {why(record.scope)}" if why is not None else code
        where = f"Refused by {name} before the consumer ran{reason}"
    return f"{where}; the client saw HTTP 403."


def refusal_step(record, text):
    """Return the step a refusal adds to the end of a record's trace."""
    return {
        "router": record.refused_by,
        "label": record.refused_by.rpartition(".")[2],
        "kind": "refusal",
        "stock": record.refused_by.startswith("channels."),
        "looked_at": None,
        "value": None,
        "candidates": [],
        "matched": None,
        "error": text,
    }


def origin_reason(scope):
    for name, value in scope.get("headers", ()):
        if name == b"origin":
            return f"origin {value.decode('latin-1')} is not allowed"
    return "the request has no Origin header"


REASONS["channels.security.websocket.OriginValidator"] = origin_reason
