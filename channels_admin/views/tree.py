"""The router tree as the dashboard draws it, and explain()'s answer drawn on it.

``display_tree()`` folds middleware into the route that leads through it (as
``manage.py channels_routes`` prints it): each item is a route (``how``: its pattern or key),
the middleware ``chain`` it passes, the ``node`` it ends at, its ``notes`` and its
``children``.
``draw_path()`` marks on such a tree where a dry run went: each router it reached gets its
``step``; each route the router tried is ``matched`` or ``missed`` (with the reason), the
others ``untried``; ``path`` is "taken" along the way to the answer and "tried" inside a
nested miss.
"""

from channels_admin.introspection.names import short_source

ROUTERS = ("protocol_router", "url_router", "channel_router", "message_router")


def display_tree(node):
    chain = []
    how = route_of(node)
    notes = node.get("notes", [])  # about the route, so on its outermost node
    while node["kind"] == "middleware" and node["children"]:
        chain.append(node["label"])
        node = node["children"][0]
    return {
        "how": how,
        "chain": chain,
        "node": node,
        "source": short_source(node.get("source")),
        "router": node["kind"] in ROUTERS,
        "notes": notes,
        "children": [display_tree(child) for child in node["children"]],
        "state": None,
        "path": None,
    }


def route_of(node):
    """How a router reaches ``node``: ``{"pattern"|"key", "index"}``, or None at the root."""
    if "pattern" in node:
        return {"pattern": node["pattern"], "index": node.get("route_index")}
    if "key" in node:
        return {"key": node["key"]}
    if "route" in node:  # a Channels 1 route(), route_class() or include(), with its filters
        filters = ", ".join(f"{key}={value!r}" for key, value in node.get("filters", {}).items())
        return {"pattern": f"{node['route']}({filters})", "index": node.get("route_index")}
    return None


def draw_path(item, steps, path="taken"):
    """Mark ``item`` and the routes below it with what ``steps`` (explain()'s) did."""
    steps = iter(steps)
    while item is not None:
        item["path"] = path
        if not item["router"]:
            return
        step = next(steps, None)
        if step is None or step.get("router") != item["node"]["dotted"]:
            return  # the tree changed since the steps were taken: draw no further
        item["step"] = step
        tried = {_candidate_key(candidate): candidate for candidate in step["candidates"]}
        following = None
        for child in item["children"]:
            candidate = tried.get(_route_key(child["how"]))
            if candidate is None:
                child["state"] = "untried"
            elif candidate["matched"]:
                child["state"] = "matched"
                following = child
            else:
                child["state"] = "missed"
                child["reason"] = candidate.get("reason")
                child["detail"] = candidate.get("detail")
                child["hint"] = candidate.get("hint")
                if candidate.get("nested"):
                    draw_path(child, candidate["nested"], "tried")
        item = following


def _route_key(how):
    if how is None:
        return None
    if "key" in how:
        return ("key", how["key"])
    return ("index", how["index"])


def _candidate_key(candidate):
    if "index" in candidate:
        return ("index", candidate["index"])
    return ("key", candidate.get("key"))
