"""
Scope routers: drop-ins for ``channels.routing`` with matching kept apart from dispatch.

Every router has a pure ``match(scope)`` that returns a :class:`Match` (or ``None``) and never
runs an application. ``__call__`` makes the same per-route decision for its own level and hands
the connection over; a nested router decides when called, as in Channels, while ``match()``
looks inside it. The route tester, the recorder and the management command read ``match()``,
so what they say is what routing does, without running any middleware.
"""

import importlib
import shlex
import uuid

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern, URLResolver
from django.urls.converters import (
    IntConverter,
    PathConverter,
    SlugConverter,
    StringConverter,
    UUIDConverter,
)
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern, RoutePattern

from channels_admin.routing.trace import current_trace, record_step

REGEX_METACHARACTERS = frozenset(".^$*+?{}[]|()")
QUANTIFIERS = frozenset("*?{")
MAX_UNWRAP_DEPTH = 50
# What Django's own converters' to_python() does, so dispatch can skip the method call
# (None: the captured string as it is). Any other converter's to_python() is called.
BUILTIN_TO_PYTHON = {
    IntConverter: int,
    UUIDConverter: uuid.UUID,
    StringConverter: None,
    SlugConverter: None,
    PathConverter: None,
}


class RouteNotFound(ValueError):
    """No route matched. A ``ValueError``, so code written for Channels keeps working."""


class NestedRouteNotFound(Resolver404):
    """A nested ``URLRouter`` had no route for the rest of the path: the router above tries
    its next route. A plain ``Resolver404`` from a consumer is not a routing decision and
    propagates, also through nested routers (Channels would run the next route's app on the
    same, already used connection)."""


class Match:
    """What a router decided for one scope: which entry, which app, and the child scope.

    ``key`` is the index of the URL route, or the protocol type or channel name; ``inner`` is
    a nested router's own match, so one match describes the whole path to the leaf.
    """

    __slots__ = ("key", "app", "scope", "inner")

    def __init__(self, key, app, scope, inner=None):
        self.key = key
        self.app = app
        self.scope = scope
        self.inner = inner

    def __repr__(self):
        return f"<Match {self.key!r} -> {self.app!r}>"


def get_default_application():
    """Return the application named by the ``ASGI_APPLICATION`` setting."""
    try:
        path, name = settings.ASGI_APPLICATION.rsplit(".", 1)
    except (ValueError, AttributeError):
        raise ImproperlyConfigured("Cannot find ASGI_APPLICATION setting.")
    try:
        module = importlib.import_module(path)
    except ImportError:
        raise ImproperlyConfigured("Cannot import ASGI_APPLICATION module %r" % path)
    try:
        return getattr(module, name)
    except AttributeError:
        raise ImproperlyConfigured("Cannot find %r in ASGI_APPLICATION module %s" % (name, path))


def unwrap(app):
    """Yield ``app`` and each app it wraps (``.inner``, ``.application``, ``__wrapped__``)."""
    seen = set()
    while app is not None and id(app) not in seen and len(seen) < MAX_UNWRAP_DEPTH:
        seen.add(id(app))
        yield app
        if isinstance(app, type):  # a consumer class is a leaf, whatever its attributes
            return
        app = next(
            (
                getattr(app, attr)
                for attr in ("inner", "application", "__wrapped__")
                if getattr(app, attr, None) is not None
            ),
            None,
        )


def shell_word(text):
    """``text`` quoted for a shell command line people copy."""
    return shlex.quote(str(text))


def _keys(mapping):
    return ", ".join(repr(key) for key in mapping) or "no application"


def find_path_router(app):
    """The router that routes on the remaining path, looking through middleware; else None."""
    for candidate in unwrap(app):
        if getattr(candidate, "_path_routing", False) is True:
            return candidate
    return None


class ProtocolTypeRouter:
    """Dispatches on ``scope["type"]`` to one of a mapping of applications."""

    def __init__(self, application_mapping):
        self.application_mapping = application_mapping

    def match(self, scope):
        app = self.application_mapping.get(scope["type"])
        if app is None:
            return None
        return Match(scope["type"], app, scope)

    async def __call__(self, scope, receive, send):
        match = self.match(scope)
        record_step(self, scope, match)
        if match is None:
            raise RouteNotFound(
                "No application configured for scope type %r; this router has %s. Add %r to "
                "its mapping, or see where a path goes: manage.py channels_routes --resolve PATH "
                "--type TYPE" % (scope["type"], _keys(self.application_mapping), scope["type"])
            )
        return await match.app(scope, receive, send)


class ChannelNameRouter:
    """Dispatches ``channel`` scopes on ``scope["channel"]`` (for ``runworker``)."""

    def __init__(self, application_mapping):
        self.application_mapping = application_mapping

    def match(self, scope):
        if "channel" not in scope:
            raise ValueError(
                "ChannelNameRouter got a scope without a 'channel' key. "
                "Did you make sure it's only being used for 'channel' type messages?"
            )
        app = self.application_mapping.get(scope["channel"])
        if app is None:
            return None
        return Match(scope["channel"], app, scope)

    async def __call__(self, scope, receive, send):
        match = self.match(scope)
        record_step(self, scope, match)
        if match is None:
            raise RouteNotFound(
                "No application configured for channel name %r; this router has %s. Add it to "
                "the mapping, or check: manage.py channels_routes --resolve %s --type channel"
                % (scope["channel"], _keys(self.application_mapping), shell_word(scope["channel"]))
            )
        return await match.app(scope, receive, send)


def _regex_literal_prefix(regex):
    """The literal text every match of an anchored ``^...`` regex starts with ("" if unsure)."""
    if not regex.startswith("^") or "|" in regex:
        return ""
    literal = []
    chars = iter(regex[1:])
    for char in chars:
        if char == "\\":
            escaped = next(chars, "")
            if not escaped or escaped.isalnum():
                break
            literal.append(escaped)
        elif char in REGEX_METACHARACTERS:
            if char in QUANTIFIERS and literal:
                literal.pop()  # "ab?" only promises "a"
            break
        else:
            literal.append(char)
    return "".join(literal)


class PathRoute:
    """One entry of a URLRouter: a Django ``path()``/``re_path()`` and where it leads.

    ``match_path(path)`` returns ``(remaining, args, kwargs)`` or None, exactly as the Django
    pattern's own ``match()`` would; it is picked once, here, to skip work per connection.
    """

    __slots__ = (
        "index",
        "url_pattern",
        "pattern",
        "app",
        "defaults",
        "router",
        "nested_router",
        "prefix",
        "regex",
        "converters",
        "match_path",
    )

    def __init__(self, index, url_pattern):
        self.index = index
        self.url_pattern = url_pattern
        if isinstance(url_pattern, URLResolver):  # include(): a nested router
            self.app = URLRouter(_included_patterns(url_pattern))
            self.defaults = url_pattern.default_kwargs
        elif isinstance(url_pattern, URLPattern):
            self.app = url_pattern.callback
            self.defaults = url_pattern.default_args
        else:
            raise ImproperlyConfigured(
                "URLRouter routes must be path() or re_path() entries, not %r." % (url_pattern,)
            )
        self.router = find_path_router(self.app)
        # match() looks inside our own nested routers; a stock Channels router can only
        # answer by being called, so match() takes it at its word.
        self.nested_router = self.router if isinstance(self.router, URLRouter) else None
        self.pattern = url_pattern.pattern
        if self.router is not None and getattr(self.pattern, "_is_endpoint", False):
            # The inner router routes the rest of the path, so this is a prefix, not an endpoint.
            self.pattern = prefix_pattern(self.pattern)
        self.prefix = ""
        self.regex = None
        self.match_path = self.pattern.match  # lazily translated or custom patterns
        pattern = self.pattern
        if isinstance(pattern, RoutePattern) and isinstance(pattern._route, str):
            route = pattern._route
            if not pattern.converters:
                self.prefix = route
                self.match_path = self._equal if pattern._is_endpoint else self._starts
            else:
                self.prefix = route[: route.index("<")]
                self.regex = pattern.regex.search
                self.converters = tuple(
                    (key, to_python)
                    for key, converter in pattern.converters.items()
                    if (to_python := BUILTIN_TO_PYTHON.get(type(converter), converter.to_python))
                    is not None
                )
                self.match_path = self._converted
        elif isinstance(pattern, RegexPattern) and isinstance(pattern._regex, str):
            self.prefix = _regex_literal_prefix(pattern._regex)
            # Django's re_path rule: an endpoint ending in "$" must match the whole path.
            if pattern._is_endpoint and pattern._regex.endswith("$"):
                self.regex = pattern.regex.fullmatch
            else:
                self.regex = pattern.regex.search
            self.match_path = self._regex

    def _equal(self, path):
        return ("", (), {}) if path == self.prefix else None

    def _starts(self, path):
        return (path[len(self.prefix) :], (), {}) if path.startswith(self.prefix) else None

    def _converted(self, path):
        match = self.regex(path)
        if match is None:
            return None
        kwargs = match.groupdict()
        try:
            for key, to_python in self.converters:
                kwargs[key] = to_python(kwargs[key])
        except ValueError:
            return None
        return path[match.end() :], (), kwargs

    def _regex(self, path):
        match = self.regex(path)
        if match is None:
            return None
        # Named groups win; positional ones count only when none is named.
        kwargs = match.groupdict()
        if not kwargs:
            return path[match.end() :], match.groups(), kwargs
        if None in kwargs.values():  # optional groups that did not take part
            kwargs = {key: value for key, value in kwargs.items() if value is not None}
        return path[match.end() :], (), kwargs

    def __repr__(self):
        return "<PathRoute %s>" % self.pattern


def prefix_pattern(pattern):
    """The same Django pattern, matching a prefix of the path instead of all of it."""
    if isinstance(pattern, RegexPattern):
        return RegexPattern(pattern._regex, pattern.name, is_endpoint=False)
    if isinstance(pattern, RoutePattern):
        return RoutePattern(pattern._route, pattern.name, is_endpoint=False)
    raise ValueError(f"Unsupported pattern type: {type(pattern)}")


def _included_patterns(resolver):
    """The patterns of ``include()``: a list, or a module's websocket_urlpatterns/urlpatterns."""
    urlconf = resolver.urlconf_name
    if isinstance(urlconf, str):
        urlconf = importlib.import_module(urlconf)
    if isinstance(urlconf, (list, tuple)):
        return urlconf
    for name in ("websocket_urlpatterns", "urlpatterns"):
        patterns = getattr(urlconf, name, None)
        if patterns is not None:
            return patterns
    raise ImproperlyConfigured(
        "include(%r) found neither websocket_urlpatterns nor urlpatterns in it: define "
        "websocket_urlpatterns = [path(...), ...] there, then check the tree with "
        "manage.py channels_routes." % urlconf
    )


def _index_by_first_segment(entries):
    """Which entries can match a path, keyed by the path's first segment.

    An entry whose literal prefix contains a slash can only match paths starting with that
    segment; the others can match anything. Keeping the per-segment lists in route order keeps
    "first match wins" while a thousand-route table costs a dict lookup, not a thousand regexes.
    """
    any_segment = []
    by_segment = {}
    for entry in entries:
        segment, slash, _ = entry.prefix.partition("/")
        if slash:
            if segment not in by_segment:
                by_segment[segment] = list(any_segment)
            by_segment[segment].append(entry)
        else:
            any_segment.append(entry)
            for segment_entries in by_segment.values():
                segment_entries.append(entry)
    for segment, segment_entries in by_segment.items():
        by_segment[segment] = tuple(segment_entries)
    return tuple(any_segment), by_segment


_ABSENT = object()


def route_path(scope):
    """The path a URLRouter routes on, leading slashes stripped; None when ``root_path`` does
    not fit.

    The steps are Channels' own, in its order, so a scope that is not ASGI (no path, a path
    or root_path that is not a str) raises what Channels' URLRouter raises for it.
    """
    if "path_remaining" in scope:  # a nested router: the outer one stripped root_path
        path = scope["path_remaining"]
        if path is None:
            raise ValueError("No 'path' key in connection scope, cannot route URLs")
    else:
        path = scope.get("path")
        if path is None:
            raise ValueError("No 'path' key in connection scope, cannot route URLs")
        root_path = scope.get("root_path", "")
        if root_path and not path.startswith(root_path):
            return None
        path = path[len(root_path) :]
    return path.lstrip("/")


class URLRouter:
    """Routes ``http`` and ``websocket`` scopes on their path, like Django's URL resolver.

    Captured values land in ``scope["url_route"]`` and the unmatched rest of the path in
    ``scope["path_remaining"]``. Nested routers work under middleware, and ``include()``
    nests a list or module of routes.
    """

    #: Routes on ``scope["path_remaining"]``, so a ``path()`` leading here is a prefix.
    _path_routing = True

    def __init__(self, routes):
        self.routes = routes
        self.entries = [PathRoute(index, route) for index, route in enumerate(routes)]
        self._any_segment, self._by_segment = _index_by_first_segment(self.entries)

    def match(self, scope, start=0):
        """The first route from index ``start`` on that takes ``scope``, or None.

        Unlike dispatch, this looks inside nested routers: a route whose router has no match
        for the rest of the path is passed over, as ``Resolver404`` makes dispatch do.
        """
        while (found := self._resolve(scope, start)) is not None:
            entry, child = found
            if entry.nested_router is None:
                return Match(entry.index, entry.app, child)
            inner = entry.nested_router.match(child)
            if inner is not None:
                return Match(entry.index, entry.app, child, inner)
            start = entry.index + 1
        return None

    def candidates(self, path):
        """The entries that may take ``path`` (leading slashes stripped), in route order; the
        others are ruled out by the literal first segment of their pattern."""
        return self._by_segment.get(path.partition("/")[0], self._any_segment)

    def _resolve(self, scope, start):
        """This router's own choice: ``(entry, child scope)`` of the first route that takes the
        path from index ``start`` on, without looking inside the router a route leads to."""
        # route_path(scope) and candidates(path), inlined: this runs for every connection.
        # A scope that is not ASGI (a path or root_path not a str) takes route_path(), slower
        # and exact.
        path = scope.get("path_remaining", _ABSENT)
        if path is _ABSENT:
            path = scope.get("path")
            root_path = scope.get("root_path", "")
            if type(root_path) is not str:
                path = None
            elif root_path and type(path) is str:
                if not path.startswith(root_path):
                    return None
                path = path[len(root_path) :]
        if type(path) is str:
            path = path.lstrip("/")
        else:
            path = route_path(scope)
            if path is None:
                return None
        for entry in self._by_segment.get(path.partition("/")[0], self._any_segment):
            if start and entry.index < start:
                continue
            found = entry.match_path(path)
            if found is None:
                continue
            remaining, args, kwargs = found
            if entry.defaults:
                kwargs.update(entry.defaults)
            if "url_route" in scope:  # whatever it holds, as Channels reads it
                outer = scope["url_route"]
                args = outer.get("args", ()) + args
                kwargs = {**outer.get("kwargs", {}), **kwargs}
            child = scope.copy()
            child["path_remaining"] = remaining
            child["url_route"] = {"args": args, "kwargs": kwargs}
            return entry, child
        return None

    async def __call__(self, scope, receive, send):
        # A nested router decides for itself when called, so each level resolves the path
        # once; when it has no match it raises Resolver404 and the next route gets a turn.
        trace = current_trace.get()
        start = 0
        while (found := self._resolve(scope, start)) is not None:
            entry, child = found
            if trace is not None:
                trace.append((self, scope, Match(entry.index, entry.app, child)))
            try:
                return await entry.app(child, receive, send)
            except Resolver404 as miss:
                # A stock Channels router's miss is a plain Resolver404; ours is tagged, so a
                # consumer's own Resolver404 below it is not taken for a miss.
                if entry.router is None or (
                    entry.nested_router is not None and not isinstance(miss, NestedRouteNotFound)
                ):
                    raise
                start = entry.index + 1
        if trace is not None:
            trace.append((self, scope, None))
        path = scope.get("path_remaining", scope.get("path"))
        if "path_remaining" in scope:
            raise NestedRouteNotFound("No route found for path %r." % path)
        raise RouteNotFound(
            "No route found for path %r (%d routes tried). See why each route missed, and the "
            "nearest one: manage.py channels_routes --resolve %s"
            % (path, len(self.entries), shell_word(path))
        )

    def __repr__(self):
        return "<URLRouter %d routes>" % len(self.entries)
