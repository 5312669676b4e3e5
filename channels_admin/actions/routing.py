"""Action routing: an action's ``route`` string resolved through ``routepatterns``.

The shape follows the scope routers (``channels_admin.routing.scope``): an
:class:`ActionRouter` has a pure ``match(scope)`` that returns a
:class:`~channels_admin.routing.scope.Match` chain (or ``None``) and never runs a handler; the
consumer calls ``match()`` and then the handler it names. The scope an action router reads is
the connection's scope with ``path_remaining`` set to the route still to resolve.
"""

import importlib
from types import ModuleType

from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern, URLResolver

from channels_admin.routing.scope import Match, prefix_pattern


def include(arg):
    """Nest routepatterns under a ``path()``/``re_path()`` prefix, to any depth.

    ``arg`` is a list of routes, a module, or a module's dotted path; a module gives its
    ``routepatterns`` (else ``urlpatterns``). Captured kwargs accumulate, as in URL routing.
    ``django.urls.include`` works too; this one fails at import time, naming the module, when
    there is nothing to include.
    """
    if isinstance(arg, str):
        arg = importlib.import_module(arg)
    return (patterns_of(arg), None, None)


def patterns_of(urlconf):
    """The routes of a list, a module or a dotted module path."""
    if isinstance(urlconf, str):
        urlconf = importlib.import_module(urlconf)
    if isinstance(urlconf, (list, tuple)):
        return urlconf
    if isinstance(urlconf, ModuleType):
        for name in ("routepatterns", "urlpatterns"):
            patterns = getattr(urlconf, name, None)
            if patterns is not None:
                return patterns
        raise ImproperlyConfigured(
            f"include({urlconf.__name__!r}): the module has neither routepatterns nor "
            "urlpatterns; define routepatterns = [path(...), ...] in it, then check a route "
            "with manage.py channels_routes --resolve PATH --route ROUTE."
        )
    raise ImproperlyConfigured(
        f"include() takes a list of routes or a module, not {type(urlconf).__name__}."
    )


class ActionRoute:
    """One routepatterns entry: a ``path()``/``re_path()`` to a handler, or an ``include()``.

    ``handler`` is the ``as_aaah()`` callable (None for an include); ``router`` the nested
    routes, of an include or of a handler with its own ``routepatterns``. A route leading to
    nested routes matches a prefix of the route string; one to a plain handler all of it.
    """

    __slots__ = ("index", "url_pattern", "pattern", "handler", "router", "defaults")

    def __init__(self, index, url_pattern):
        self.index = index
        self.url_pattern = url_pattern
        if isinstance(url_pattern, URLResolver):
            self.handler = None
            self.router = ActionRouter(patterns_of(url_pattern.urlconf_name))
            self.defaults = url_pattern.default_kwargs
        elif isinstance(url_pattern, URLPattern):
            self.handler = url_pattern.callback
            handler_class = getattr(self.handler, "handler_class", None)
            if handler_class is None:
                raise ImproperlyConfigured(
                    f"routepatterns entry {url_pattern!r} leads to {self.handler!r}; point it "
                    "at a handler's as_aaah(), e.g. path('rooms/', RoomHandler.as_aaah())."
                )
            self.router = handler_class.action_router if handler_class.routepatterns else None
            self.defaults = url_pattern.default_args
        else:
            raise ImproperlyConfigured(
                f"routepatterns entries must be path(), re_path() or include(), "
                f"not {url_pattern!r}."
            )
        self.pattern = url_pattern.pattern
        if self.router is not None and getattr(self.pattern, "_is_endpoint", False):
            self.pattern = prefix_pattern(self.pattern)

    def child_scope(self, scope, found):
        """The scope the next level sees, given what this route's pattern ``found``."""
        remaining, args, kwargs = found
        outer = scope.get("url_route") or {}
        url_route = {
            "args": (*outer.get("args", ()), *args),
            "kwargs": {**outer.get("kwargs", {}), **kwargs, **self.defaults},
        }
        return dict(scope, path_remaining=remaining, url_route=url_route)

    def __repr__(self):
        return f"<ActionRoute {self.pattern}>"


class ActionRouter:
    """Resolves an action's route through a list of routes; the first match wins.

    ``routepatterns`` is kept as given, for anyone who wants to read the table.
    """

    def __init__(self, routepatterns):
        self.routepatterns = routepatterns
        self.entries = [ActionRoute(index, route) for index, route in enumerate(routepatterns)]

    def match(self, scope):
        """The route that takes ``scope["path_remaining"]``, as a Match chain, or None.

        Each Match's ``scope`` carries the accumulated ``url_route`` and the ``path_remaining``
        left for the next level; the innermost one's ``app`` is the handler to call.
        """
        path = scope["path_remaining"].lstrip("/")
        for entry in self.entries:
            found = entry.pattern.match(path)
            if found is None:
                continue
            child = entry.child_scope(scope, found)
            remaining = child["path_remaining"]
            inner = entry.router.match(child) if entry.router is not None else None
            if inner is None and entry.handler is None:
                continue  # an include() none of whose routes matched: try the next entry
            if inner is None and entry.router is not None and remaining:
                continue  # a handler with routes of its own: the rest of the route missed
            app = entry.handler if entry.handler is not None else entry.router
            return Match(entry.index, app, child, inner)
        return None

    def __repr__(self):
        return f"<ActionRouter {len(self.entries)} routes>"


def innermost(match):
    """The last Match of a chain: the handler that takes the action, and its scope."""
    while match.inner is not None:
        match = match.inner
    return match
