"""``describe(app)``: the tree of an ASGI application, as nested JSON-serializable dicts.

Every node has ``kind``, ``label``, ``dotted`` (the class or function), ``source``
(``{"file", "line"}`` or None) and ``children``. A node reached through a router also says how:
``key`` (protocol type or channel name) or ``pattern`` with ``route_index`` and ``route_name``.
Consumers add ``consumer`` (dotted path) and ``initkwargs``.

Each router type has a describer, ``describer(app, tree) -> dict``, looked up by class in
``DESCRIBERS`` (add your own with :func:`register_describer`); ``tree.node(child, **how)``
describes a child. Apps no describer knows are followed through middleware, or become an
opaque leaf naming their dotted path.
"""

from channels import routing as stock
from django.urls.resolvers import RegexPattern, RoutePattern

from channels_admin.introspection.apps import consumer_class, is_django, wrapped_app
from channels_admin.introspection.names import dotted_path, json_safe, label, source
from channels_admin.routing import scope as ours

MAX_DEPTH = 64
MAX_NODES = 5000

DESCRIBERS = {}


def register_describer(cls, describer):
    """Describe instances of ``cls`` (and subclasses) with ``describer(app, tree)``; for a
    consumer class, its ``as_asgi()`` applications and the class itself."""
    DESCRIBERS[cls] = describer


def describe(app):
    """The tree below ``app``; never raises for a strange app, never calls one."""
    return Tree().node(app)


def node(kind, app, children=(), **extra):
    """A node dict; describers build theirs with it."""
    return {
        "kind": kind,
        "label": label(app),
        "dotted": dotted_path(app),
        "source": source(app),
        "children": list(children),
        **extra,
    }


class Tree:
    """One walk of an application tree: guards against cycles, depth and size."""

    def __init__(self):
        self.path = []
        self.count = 0

    def node(self, app, **how):
        self.count += 1
        if any(app is seen for seen in self.path):
            described = node("cycle", app, note="already shown above: a cycle")
        elif len(self.path) >= MAX_DEPTH or self.count > MAX_NODES:
            described = node("truncated", app, note="tree too deep or too large to show")
        else:
            self.path.append(app)
            try:
                described = describer_for(app)(app, self)
            except Exception as exc:  # a strange app must not break the page showing it
                described = node("app", app, error=f"{type(exc).__name__}: {exc}")
            finally:
                self.path.pop()
        described.update(how)
        return described


def describer_for(app):
    """By the consumer class for consumers (``as_asgi()`` apps included), else by type."""
    consumer = consumer_class(app)
    for cls in (consumer or type(app)).__mro__:
        if cls in DESCRIBERS:
            return DESCRIBERS[cls]
    if consumer is not None:
        return describe_consumer
    if is_django(app):
        return describe_django
    if wrapped_app(app) is not None:
        return describe_middleware
    return describe_opaque


def describe_consumer(app, tree):
    cls = consumer_class(app)
    initkwargs = getattr(app, "consumer_initkwargs", None) or {}
    return node("consumer", cls, consumer=dotted_path(cls), initkwargs=json_safe(initkwargs))


def describe_django(app, tree):
    return node("django", app, note="Django's views (urls.py) answer here")


def describe_middleware(app, tree):
    return node("middleware", app, [tree.node(wrapped_app(app))])


def describe_opaque(app, tree):
    return node("app", app)


def describe_mapping_router(kind):
    def describe_router(router, tree):
        children = [tree.node(app, key=key) for key, app in router.application_mapping.items()]
        return node(kind, router, children, stock=_is_stock(router))

    return describe_router


def describe_url_router(router, tree):
    children = []
    for entry in router.entries:
        url_pattern = entry.url_pattern
        how = _route_how(entry.index, url_pattern)
        if entry.router is not None and hasattr(url_pattern, "urlconf_name"):
            how["include"] = _include_name(url_pattern.urlconf_name)
        children.append(tree.node(entry.app, **how))
    return node("url_router", router, children, stock=False)


def describe_stock_url_router(router, tree):
    children = []
    for index, route in enumerate(router.routes):
        how = _route_how(index, route)
        note = stock_nesting_note(route)
        if note:
            how["notes"] = [note]
        children.append(tree.node(route.callback, **how))
    return node("url_router", router, children, stock=True)


def stock_nesting_note(route):
    """Why stock Channels can never reach the router below this route (channels#1428)."""
    pattern = route.pattern
    if not _is_endpoint(pattern) or getattr(route.callback, "_path_routing", False) is True:
        return None
    if ours.find_path_router(route.callback) is None:
        return None
    return (
        "channels.routing.URLRouter treats this route as an endpoint because the router "
        "below it is wrapped in middleware (channels#1428): only the exact path matches and "
        "nothing below it can. channels_admin.routing.URLRouter routes it as a prefix."
    )


def _is_endpoint(pattern):
    if not getattr(pattern, "_is_endpoint", False):
        return False
    if isinstance(pattern, RegexPattern):
        return str(pattern._regex).endswith("$")
    return isinstance(pattern, RoutePattern)


def _route_how(index, url_pattern):
    pattern = url_pattern.pattern
    return {
        "pattern": str(pattern),
        "pattern_type": "re_path" if isinstance(pattern, RegexPattern) else "path",
        "route_index": index,
        "route_name": getattr(pattern, "name", None),
    }


def _include_name(urlconf):
    """The module an ``include()`` names, or "list" for an inline list of routes."""
    if isinstance(urlconf, str):
        return urlconf
    return getattr(urlconf, "__name__", "list")


def _is_stock(router):
    return type(router).__module__ == stock.__name__


register_describer(ours.ProtocolTypeRouter, describe_mapping_router("protocol_router"))
register_describer(stock.ProtocolTypeRouter, describe_mapping_router("protocol_router"))
register_describer(ours.ChannelNameRouter, describe_mapping_router("channel_router"))
register_describer(stock.ChannelNameRouter, describe_mapping_router("channel_router"))
register_describer(ours.URLRouter, describe_url_router)
register_describer(stock.URLRouter, describe_stock_url_router)
