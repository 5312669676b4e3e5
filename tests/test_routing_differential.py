"""Differential tests: the same routes and scopes through ``channels.routing`` and ours.

Each case builds its routes afresh for each engine (stock ``URLRouter`` rewrites the route
objects it is given), dispatches a copy of the same scope through both, and compares what
happened: the leaf reached, ``url_route`` with the type of every value, ``path_remaining``, or
the exception class (ours may raise a subclass, e.g. ``RouteNotFound`` for ``ValueError``).
Every case also pins what stock Channels does, so a table entry cannot pass vacuously.

The second table lists where we deliberately differ from Channels; the last part lets
hypothesis draw random route tables and paths and checks both engines pick the same winner.
"""

import asyncio
import copy
import functools
import re
from dataclasses import dataclass
from typing import Any

import channels.routing as stock
import pytest
from channels.auth import AuthMiddlewareStack
from channels.middleware import BaseMiddleware
from channels.sessions import SessionMiddlewareStack
from django.core.exceptions import ImproperlyConfigured
from django.urls import include, path, re_path, register_converter
from django.urls.converters import IntConverter
from django.urls.exceptions import Resolver404
from django.utils.translation import gettext_lazy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import channels_admin.routing as ours
from channels_admin.routing import RouteNotFound
from tests.routing_modules.apps import Reached

ENGINES = {"stock": stock, "ours": ours}
ROOM_UUID = "6f1c9a52-3b1e-4d8a-9c0f-1a2b3c4d5e6f"


class Endpoint:
    """A leaf app that reports which route reached it, leaving every scope as it was."""

    def __init__(self, name):
        self.name = name

    async def __call__(self, scope, receive, send):
        raise Reached(self.name, scope)


class HexConverter:
    regex = "[0-9a-f]+"

    def to_python(self, value):
        return int(value, 16)

    def to_url(self, value):
        return format(value, "x")


class EvenConverter:
    """Matches any digits, but only even numbers convert: odd ones fall through."""

    regex = "[0-9]+"

    def to_python(self, value):
        number = int(value)
        if number % 2:
            raise ValueError(f"{number} is odd")
        return number

    def to_url(self, value):
        return str(value)


class NegativeConverter(IntConverter):
    """A subclass of a built-in converter: its own to_python() must be the one called."""

    def to_python(self, value):
        return -int(value)


register_converter(HexConverter, "difftest_hex")
register_converter(NegativeConverter, "difftest_negative")
register_converter(EvenConverter, "difftest_even")


class Passthrough(BaseMiddleware):
    """Middleware that changes nothing: only its presence is under test."""


def ws(path, **extra):
    return {"type": "websocket", "path": path, "headers": [], **extra}


@dataclass(frozen=True)
class Leaf:
    """Outcome: a leaf was reached with this url_route and path_remaining."""

    name: str
    url_route: Any = None
    path_remaining: Any = None


@dataclass(frozen=True)
class Failed:
    """Outcome: routing raised (or building the routes raised) this exception."""

    error: type
    message: str = ""


def typed(value):
    """``value`` with the type of every part spelled out, so 42 and "42" never compare equal."""
    if isinstance(value, dict):
        return ("dict", tuple(sorted((k, typed(v)) for k, v in value.items())))
    if isinstance(value, tuple | list):
        return (type(value).__name__, tuple(typed(v) for v in value))
    return (type(value).__name__, value)


async def dispatch(build, engine, scope):
    """Build the routes for ``engine``, dispatch ``scope``, and describe what happened."""

    async def receive():
        raise AssertionError("leaf apps never receive")

    async def send(message):
        raise AssertionError("leaf apps never send")

    try:
        app = build(engine)
        await app(scope, receive, send)
    except Reached as reached:
        return Leaf(
            reached.name,
            typed(reached.scope.get("url_route")),
            reached.scope.get("path_remaining"),
        )
    except AssertionError:
        raise
    except Exception as error:
        return Failed(type(error), str(error))
    raise AssertionError("routing returned without reaching a leaf")


def same_outcome(ours_outcome, stock_outcome):
    if isinstance(stock_outcome, Failed) and isinstance(ours_outcome, Failed):
        return issubclass(ours_outcome.error, stock_outcome.error)
    return ours_outcome == stock_outcome


def innermost(match):
    while match.inner is not None:
        match = match.inner
    return match


@dataclass(frozen=True)
class Case:
    """One differential case: ``expect`` is what stock Channels does (leaf name or error)."""

    id: str
    build: Any
    scope: dict
    expect: Any


# Route tables shared by several cases. Each takes the engine module and returns its app.


def literal_routes(r):
    return r.URLRouter(
        [
            path("chat/", Endpoint("chat")),
            path("chat/lobby/", Endpoint("lobby")),
            path("", Endpoint("root")),
        ]
    )


def converter_routes(r):
    return r.URLRouter(
        [
            path("int/<int:pk>/", Endpoint("int")),
            path("str/<name>/", Endpoint("str")),
            path("slug/<slug:slug>/", Endpoint("slug")),
            path("uuid/<uuid:id>/", Endpoint("uuid")),
            path("files/<path:rest>", Endpoint("path")),
            path("hex/<difftest_hex:value>/", Endpoint("hex")),
            path("even/<difftest_even:n>/", Endpoint("even")),
            path("even/<int:n>/", Endpoint("odd-fallback")),
            path("only-even/<difftest_even:n>/", Endpoint("only-even")),
            path("pair/<int:a>/<slug:b>/", Endpoint("pair")),
            path("negative/<difftest_negative:n>/", Endpoint("negative")),
            path("int/<str:pk>/", Endpoint("int-fallback")),
        ]
    )


def default_routes(r):
    return r.URLRouter(
        [
            path("extra/<int:pk>/", Endpoint("extra"), {"flag": True}),
            path("override/<int:pk>/", Endpoint("override"), {"pk": 99}),
            re_path(r"^re-override/(?P<pk>\d+)/$", Endpoint("re-override"), {"pk": "x"}),
        ]
    )


def regex_routes(r):
    return r.URLRouter(
        [
            re_path(r"^named/(?P<year>\d{4})/(?P<slug>[a-z]+)/$", Endpoint("named")),
            re_path(r"^positional/(\d+)/([a-z]+)/$", Endpoint("positional")),
            re_path(r"^mixed/(\d+)/(?P<slug>[a-z]+)/$", Endpoint("mixed")),
            re_path(r"^optional/(?P<a>\d+)/(?:(?P<b>[a-z]+)/)?$", Endpoint("optional-named")),
            re_path(r"^optpos/(\d+)/(?:([a-z]+)/)?$", Endpoint("optional-positional")),
            re_path(r"^anchored/$", Endpoint("anchored")),
            re_path(r"^prefix/", Endpoint("prefix")),
            re_path(r"room/(?P<n>\d+)", Endpoint("unanchored")),
            re_path(r"tail/$", Endpoint("unanchored-dollar")),
            re_path(r"^price\$$", Endpoint("escaped-dollar")),
            re_path(r"(?i)^shout/$", Endpoint("ignorecase")),
            re_path(r"^$", Endpoint("empty")),
        ]
    )


def nested_routes(r):
    inner_numbers = r.URLRouter(
        [
            path("b/<int:y>/", Endpoint("inner-b")),
            re_path(r"^rest/", Endpoint("inner-rest")),
        ]
    )
    return r.URLRouter(
        [
            path("a/<int:x>/", inner_numbers),
            re_path(r"^(\d+)/", r.URLRouter([re_path(r"^(\d+)/$", Endpoint("args"))])),
            path("o/<str:id>/", r.URLRouter([path("k/<str:id>/", Endpoint("clash"))])),
            path(
                "named-outer/<int:n>/",
                r.URLRouter([re_path(r"^(\d+)/$", Endpoint("named-then-positional"))]),
            ),
            path("one/", r.URLRouter([path("only/", Endpoint("only"))])),
            re_path(r"^one/(?P<rest>.+)$", Endpoint("after-nested-miss")),
            path("d/", r.URLRouter([path("x/", Endpoint("d-x"))]), {"v": 1}),
            path("dv/<int:v>/", r.URLRouter([path("x/", Endpoint("dv-x"), {"v": 2})])),
            path("slash", r.URLRouter([path("b/", Endpoint("slash-b"))])),
            path(
                "l1/<int:a>/",
                r.URLRouter(
                    [path("l2/<int:b>/", r.URLRouter([path("l3/<int:c>/", Endpoint("l3"))]))]
                ),
            ),
            re_path(
                r"^mw/(?P<x>\d+)/",
                AuthMiddlewareStack(r.URLRouter([path("y/<int:y>/", Endpoint("mw-regex"))])),
            ),
            path("chat/", SessionMiddlewareStack(Endpoint("wrapped-leaf"))),
        ]
    )


def nested_only(r):
    return r.URLRouter([path("a/", r.URLRouter([path("b/", Endpoint("b"))]))])


def index_routes(r):
    """Routes whose literal prefixes share or overlap segments: the index must not matter."""
    return r.URLRouter(
        [
            path("route1/", Endpoint("route1")),
            path("route10/", Endpoint("route10")),
            re_path(r"^route2", Endpoint("re-route2")),
            path("route20/", Endpoint("route20")),
            re_path(r"^ab?c/", Endpoint("ab?c")),
            re_path(r"^x|yy/", Endpoint("x|yy")),
            re_path(r"^d\.e/", Endpoint("escaped-dot")),
            re_path(r"^f\/g/$", Endpoint("escaped-slash")),
            re_path(r"^h/?i/$", Endpoint("optional-slash")),
            re_path(r"^s/*t/$", Endpoint("star-slash")),
            re_path(r"^u/{0,1}v/$", Endpoint("brace-slash")),
            re_path(r"^alt/one|two/", Endpoint("alt-slash")),
            re_path(r"^k\d/x/$", Endpoint("escaped-class")),
            re_path(r"^j+/k/$", Endpoint("plus")),
            re_path(r"^m/n*/$", Endpoint("star")),
            re_path(r"^p{2}/$", Endpoint("brace")),
            re_path(r"^q.r/$", Endpoint("dot")),
            path("v<int:n>/w/", Endpoint("partial-segment")),
            path(gettext_lazy("lazy/<int:n>/"), Endpoint("lazy-path")),
            re_path(gettext_lazy(r"^lazyre/(?P<s>[a-z]+)/$"), Endpoint("lazy-re")),
            path("Case/", Endpoint("Case")),
            path("café/", Endpoint("unicode")),
            path("<slug:any>/tail/", Endpoint("any-first-segment")),
            path("route1/late/", Endpoint("route1-late")),
            re_path(r"^zz", Endpoint("zz")),
            re_path(r"", Endpoint("catch-all")),
        ]
    )


def protocol_routes(r):
    return r.ProtocolTypeRouter(
        {
            "websocket": r.URLRouter([path("ws/<int:n>/", Endpoint("ws"))]),
            "http": Endpoint("http"),
            "channel": r.ChannelNameRouter({"jobs": Endpoint("jobs")}),
        }
    )


CASES = [
    # Literal path() routes, endpoints, leading slashes.
    Case("literal", literal_routes, ws("/chat/"), "chat"),
    Case("literal-longer", literal_routes, ws("/chat/lobby/"), "lobby"),
    Case("literal-no-leading-slash", literal_routes, ws("chat/"), "chat"),
    Case("literal-many-leading-slashes", literal_routes, ws("///chat/"), "chat"),
    Case("literal-endpoint-needs-all", literal_routes, ws("/chat/x/"), ValueError),
    Case("literal-missing-trailing-slash", literal_routes, ws("/chat"), ValueError),
    Case("literal-root", literal_routes, ws("/"), "root"),
    Case("literal-empty-path", literal_routes, ws(""), "root"),
    Case("http-scope", literal_routes, {"type": "http", "path": "/chat/"}, "chat"),
    Case("empty-router", lambda r: r.URLRouter([]), ws("/x/"), ValueError),
    # Converters.
    Case("int", converter_routes, ws("/int/42/"), "int"),
    Case("int-rejects-letters", converter_routes, ws("/int/abc/"), "int-fallback"),
    Case("int-leading-zeros", converter_routes, ws("/int/007/"), "int"),
    Case("str", converter_routes, ws("/str/some thing/"), "str"),
    Case("str-stops-at-slash", converter_routes, ws("/str/a/b/"), ValueError),
    Case("slug", converter_routes, ws("/slug/a-b_c9/"), "slug"),
    Case("slug-rejects-dot", converter_routes, ws("/slug/a.b/"), ValueError),
    Case("uuid", converter_routes, ws(f"/uuid/{ROOM_UUID}/"), "uuid"),
    Case("uuid-rejects-upper", converter_routes, ws(f"/uuid/{ROOM_UUID.upper()}/"), ValueError),
    Case("path", converter_routes, ws("/files/a/b/c.txt"), "path"),
    Case("path-needs-something", converter_routes, ws("/files/"), ValueError),
    Case("custom-converter", converter_routes, ws("/hex/ff/"), "hex"),
    Case("custom-converter-regex-miss", converter_routes, ws("/hex/fg/"), ValueError),
    Case("custom-to-python-accepts", converter_routes, ws("/even/4/"), "even"),
    Case("custom-to-python-raises-next-route", converter_routes, ws("/even/5/"), "odd-fallback"),
    Case("custom-to-python-raises-miss", converter_routes, ws("/only-even/5/"), ValueError),
    Case("two-converters", converter_routes, ws("/pair/3/x-y/"), "pair"),
    Case("custom-subclass-of-builtin", converter_routes, ws("/negative/5/"), "negative"),
    Case("converter-endpoint-needs-all", converter_routes, ws("/int/42/more"), ValueError),
    # path(..., kwargs=...) defaults.
    Case("defaults-added", default_routes, ws("/extra/5/"), "extra"),
    Case("defaults-override-captured", default_routes, ws("/override/5/"), "override"),
    Case("re-defaults-override-captured", default_routes, ws("/re-override/5/"), "re-override"),
    # re_path: groups, search semantics, endpoints.
    Case("re-named", regex_routes, ws("/named/2024/news/"), "named"),
    Case("re-positional", regex_routes, ws("/positional/12/abc/"), "positional"),
    Case("re-mixed-keeps-only-named", regex_routes, ws("/mixed/12/abc/"), "mixed"),
    Case("re-optional-named-absent", regex_routes, ws("/optional/1/"), "optional-named"),
    Case("re-optional-named-present", regex_routes, ws("/optional/1/z/"), "optional-named"),
    Case("re-optional-positional-absent", regex_routes, ws("/optpos/1/"), "optional-positional"),
    Case("re-anchored-endpoint", regex_routes, ws("/anchored/"), "anchored"),
    Case("re-dollar-endpoint-fullmatch", regex_routes, ws("/anchored/x"), ValueError),
    Case("re-no-dollar-is-a-prefix", regex_routes, ws("/prefix/and/more"), "prefix"),
    Case("re-unanchored-search", regex_routes, ws("/x/y/room/5/z"), "unanchored"),
    Case("re-unanchored-dollar-fullmatch", regex_routes, ws("/tail/"), "unanchored-dollar"),
    Case("re-unanchored-dollar-no-search", regex_routes, ws("/x/tail/"), ValueError),
    Case("re-escaped-dollar", regex_routes, ws("/price$"), "escaped-dollar"),
    Case("re-inline-flag", regex_routes, ws("/SHOUT/"), "ignorecase"),
    Case("re-empty-path", regex_routes, ws("/"), "empty"),
    # Nesting: scopes, args and kwargs across levels, misses falling through.
    Case("nested", nested_routes, ws("/a/1/b/2/"), "inner-b"),
    Case("nested-path-remaining", nested_routes, ws("/a/1/rest/of/it"), "inner-rest"),
    Case("nested-outer-args-first", nested_routes, ws("/1/2/"), "args"),
    Case("nested-inner-kwargs-win", nested_routes, ws("/o/outer/k/inner/"), "clash"),
    Case(
        "nested-kwargs-then-args", nested_routes, ws("/named-outer/4/5/"), "named-then-positional"
    ),
    Case("nested-hit", nested_routes, ws("/one/only/"), "only"),
    Case("nested-miss-next-route", nested_routes, ws("/one/other"), "after-nested-miss"),
    Case("nested-miss-outermost-miss", nested_routes, ws("/a/1/c/"), ValueError),
    Case("nested-outer-defaults-flow-down", nested_routes, ws("/d/x/"), "d-x"),
    Case("nested-inner-defaults-win", nested_routes, ws("/dv/1/x/"), "dv-x"),
    Case("nested-leading-slash-stripped", nested_routes, ws("/slash/b/"), "slash-b"),
    Case("nested-three-levels", nested_routes, ws("/l1/1/l2/2/l3/3/"), "l3"),
    Case("nested-re-path-under-middleware", nested_routes, ws("/mw/7/y/8/"), "mw-regex"),
    Case("wrapped-leaf-full-match", nested_routes, ws("/chat/"), "wrapped-leaf"),
    Case("wrapped-leaf-needs-full-match", nested_routes, ws("/chat/x/"), ValueError),
    Case(
        "called-as-nested-router-miss",
        nested_only,
        ws("/z/", path_remaining="z/", url_route={"args": (), "kwargs": {}}),
        Resolver404,
    ),
    Case(
        "called-as-nested-router-with-outer-route",
        nested_only,
        ws("/p/a/b/", path_remaining="a/b/", url_route={"args": ("p",), "kwargs": {"k": 1}}),
        "b",
    ),
    # root_path.
    Case("root-path-stripped", literal_routes, ws("/prefix/chat/", root_path="/prefix"), "chat"),
    Case("root-path-whole-path", literal_routes, ws("/prefix", root_path="/prefix"), "root"),
    Case(
        "root-path-mismatch", literal_routes, ws("/other/chat/", root_path="/prefix"), ValueError
    ),
    Case("root-path-empty", literal_routes, ws("/chat/", root_path=""), "chat"),
    Case(
        "root-path-outermost-only",
        lambda r: r.URLRouter([path("a/", r.URLRouter([path("a/b/", Endpoint("inner"))]))]),
        ws("/a/a/a/b/", root_path="/a"),
        "inner",
    ),
    Case(
        "root-path-not-stripped-when-nested",
        nested_only,
        ws("/r/a/b/", root_path="/r", path_remaining="a/b/"),
        "b",
    ),
    # Scopes the URL router cannot route.
    Case("no-path", literal_routes, {"type": "websocket", "headers": []}, ValueError),
    Case(
        "path-remaining-without-path",
        nested_only,
        {"type": "websocket", "path_remaining": "a/b/"},
        "b",
    ),
    # Protocol types and channel names.
    Case("protocol-websocket", protocol_routes, ws("/ws/3/"), "ws"),
    Case("protocol-http", protocol_routes, {"type": "http", "path": "/x/"}, "http"),
    Case("protocol-unknown-type", protocol_routes, {"type": "lifespan"}, ValueError),
    Case("protocol-nested-miss", protocol_routes, ws("/ws/x/"), ValueError),
    Case("channel-name", protocol_routes, {"type": "channel", "channel": "jobs"}, "jobs"),
    Case("channel-unknown", protocol_routes, {"type": "channel", "channel": "x"}, ValueError),
    Case("channel-key-missing", protocol_routes, {"type": "channel"}, ValueError),
    # The first-segment index must never change which route wins.
    Case("index-route1", index_routes, ws("/route1/"), "route1"),
    Case("index-route10", index_routes, ws("/route10/"), "route10"),
    Case("index-route1-prefix-of-segment", index_routes, ws("/route100/"), "catch-all"),
    Case("index-unanchored-prefix-wins", index_routes, ws("/route20/"), "re-route2"),
    Case("index-optional-char-absent", index_routes, ws("/ac/x"), "ab?c"),
    Case("index-optional-char-present", index_routes, ws("/abc/x"), "ab?c"),
    Case("index-alternation-first", index_routes, ws("/xylophone"), "x|yy"),
    Case("index-alternation-anywhere", index_routes, ws("/mmyy/"), "x|yy"),
    Case("index-escaped-dot", index_routes, ws("/d.e/"), "escaped-dot"),
    Case("index-escaped-dot-literal", index_routes, ws("/dxe/"), "catch-all"),
    Case("index-escaped-slash", index_routes, ws("/f/g/"), "escaped-slash"),
    Case("index-optional-slash-absent", index_routes, ws("/hi/"), "optional-slash"),
    Case("index-optional-slash-present", index_routes, ws("/h/i/"), "optional-slash"),
    Case("index-star-slash-absent", index_routes, ws("/st/"), "star-slash"),
    Case("index-brace-slash-absent", index_routes, ws("/uv/"), "brace-slash"),
    Case("index-alternation-after-slash", index_routes, ws("/two/"), "alt-slash"),
    Case("index-alternation-after-slash-search", index_routes, ws("/w/two/"), "alt-slash"),
    Case("index-escaped-class", index_routes, ws("/k1/x/"), "escaped-class"),
    Case("index-plus", index_routes, ws("/jjj/k/"), "plus"),
    Case("index-star-empty", index_routes, ws("/m//"), "star"),
    Case("index-brace", index_routes, ws("/pp/"), "brace"),
    Case("index-dot", index_routes, ws("/q-r/"), "dot"),
    Case("index-partial-segment-converter", index_routes, ws("/v12/w/"), "partial-segment"),
    Case("index-lazy-path", index_routes, ws("/lazy/3/"), "lazy-path"),
    Case("index-lazy-re-path", index_routes, ws("/lazyre/abc/"), "lazy-re"),
    Case("index-case-sensitive", index_routes, ws("/case/"), "catch-all"),
    Case("index-case-exact", index_routes, ws("/Case/"), "Case"),
    Case("index-unicode", index_routes, ws("/café/"), "unicode"),
    Case("index-converter-first-segment", index_routes, ws("/route1x/tail/"), "any-first-segment"),
    Case("index-earlier-any-segment-wins", index_routes, ws("/route1/tail/"), "any-first-segment"),
    Case("index-later-same-segment", index_routes, ws("/route1/late/"), "route1-late"),
    Case("index-unanchored-regex-late", index_routes, ws("/zz/top"), "zz"),
    Case("index-empty-path", index_routes, ws("/"), "catch-all"),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_ours_routes_like_channels(case):
    outcomes = {}
    for name, engine in ENGINES.items():
        scope = copy.deepcopy(case.scope)
        outcomes[name] = await dispatch(case.build, engine, scope)
        assert scope == case.scope, f"{name} changed the caller's scope"

    stock_outcome, ours_outcome = outcomes["stock"], outcomes["ours"]
    if isinstance(case.expect, str):
        assert isinstance(stock_outcome, Leaf) and stock_outcome.name == case.expect
    else:
        assert stock_outcome.error is case.expect, stock_outcome
    assert same_outcome(ours_outcome, stock_outcome), (ours_outcome, stock_outcome)


URL_ROUTER_CASES = [case for case in CASES if case.build is not protocol_routes]


@pytest.mark.parametrize("case", URL_ROUTER_CASES, ids=[case.id for case in URL_ROUTER_CASES])
async def test_match_agrees_with_dispatch(case):
    """Our pure match() predicts exactly what dispatch does, and changes nothing."""
    app = case.build(ours)
    scope = copy.deepcopy(case.scope)
    outcome = await dispatch(lambda r: app, ours, copy.deepcopy(case.scope))
    if isinstance(outcome, Failed):
        try:
            assert app.match(scope) is None
        except ValueError as error:
            assert isinstance(error, outcome.error)
    else:
        found = innermost(app.match(scope))
        assert typed(found.scope["url_route"]) == outcome.url_route
        assert found.scope["path_remaining"] == outcome.path_remaining
    assert scope == case.scope


def test_enough_cases_cover_every_engine_outcome():
    assert len(CASES) >= 60
    assert len({case.id for case in CASES}) == len(CASES)
    kinds = {case.expect for case in CASES if not isinstance(case.expect, str)}
    assert kinds == {ValueError, Resolver404}


# Where we deliberately differ: ours gives the improved result, stock its known failure.


def nested_under(wrap):
    def build(r):
        inner = r.URLRouter([path("test/<int:page>/", Endpoint("inner"))])
        return r.URLRouter([path("number/<int:number>/", wrap(inner))])

    return build


def wraps_function(inner):
    @functools.wraps(inner)
    async def wrapper(scope, receive, send):
        return await inner(scope, receive, send)

    return wrapper


@dataclass(frozen=True)
class Difference:
    id: str
    build: Any
    scope: dict
    ours: Leaf
    stock: type


NUMBER_42_PAGE_3 = Leaf("inner", typed({"args": (), "kwargs": {"number": 42, "page": 3}}), "")

DIFFERENCES = [
    # channels#1428: a path() leading to a middleware-wrapped router is a prefix for us.
    Difference(
        "nested-under-auth-middleware",
        nested_under(AuthMiddlewareStack),
        ws("/number/42/test/3/"),
        NUMBER_42_PAGE_3,
        ValueError,
    ),
    Difference(
        "nested-under-session-middleware",
        nested_under(SessionMiddlewareStack),
        ws("/number/42/test/3/"),
        NUMBER_42_PAGE_3,
        ValueError,
    ),
    Difference(
        "nested-under-base-middleware",
        nested_under(Passthrough),
        ws("/number/42/test/3/"),
        NUMBER_42_PAGE_3,
        ValueError,
    ),
    Difference(
        "nested-under-functools-wraps",
        nested_under(wraps_function),
        ws("/number/42/test/3/"),
        NUMBER_42_PAGE_3,
        ValueError,
    ),
    # include(): Channels refuses it when the router is built.
    Difference(
        "include-list",
        lambda r: r.URLRouter([path("api/", include([path("v/<int:v>/", Endpoint("list"))]))]),
        ws("/api/v/2/"),
        Leaf("list", typed({"args": (), "kwargs": {"v": 2}}), ""),
        ImproperlyConfigured,
    ),
    Difference(
        "include-module",
        lambda r: r.URLRouter([path("mod/", include("tests.routing_modules.ws_only"))]),
        ws("/mod/room/7/"),
        Leaf("module-room", typed({"args": (), "kwargs": {"pk": 7}}), ""),
        ImproperlyConfigured,
    ),
    Difference(
        "include-tuple-with-app-name",
        lambda r: r.URLRouter([path("n/", include(([path("x/", Endpoint("tuple"))], "app")))]),
        ws("/n/x/"),
        Leaf("tuple", typed({"args": (), "kwargs": {}}), ""),
        ImproperlyConfigured,
    ),
]


@pytest.mark.parametrize("difference", DIFFERENCES, ids=[d.id for d in DIFFERENCES])
async def test_deliberate_difference(difference):
    stock_outcome = await dispatch(difference.build, stock, copy.deepcopy(difference.scope))
    ours_outcome = await dispatch(difference.build, ours, copy.deepcopy(difference.scope))
    assert isinstance(stock_outcome, Failed) and stock_outcome.error is difference.stock
    assert ours_outcome == difference.ours


async def test_difference_miss_message_names_the_path_and_route_count():
    scope = ws("/nowhere/")
    stock_outcome = await dispatch(literal_routes, stock, copy.deepcopy(scope))
    ours_outcome = await dispatch(literal_routes, ours, copy.deepcopy(scope))
    assert stock_outcome == Failed(ValueError, "No route found for path 'nowhere/'.")
    assert ours_outcome.error is RouteNotFound
    assert ours_outcome.message == (
        "No route found for path '/nowhere/' (3 routes tried). See why each route missed, and "
        "the nearest one: manage.py channels_routes --resolve /nowhere/"
    )


async def test_difference_unknown_type_and_channel_raise_route_not_found():
    for scope in ({"type": "lifespan"}, {"type": "channel", "channel": "x"}):
        assert (await dispatch(protocol_routes, stock, dict(scope))).error is ValueError
        assert (await dispatch(protocol_routes, ours, dict(scope))).error is RouteNotFound


async def raises_resolver404(scope, receive, send):
    raise Resolver404("raised by the consumer")


async def test_difference_resolver404_from_a_consumer_is_not_a_miss():
    """Stock Channels takes it for a nested router's miss and runs the next route's app on the
    same connection; ours lets it propagate like any other exception from a consumer."""

    def build(r):
        return r.URLRouter(
            [
                path("n/", r.URLRouter([path("a/", raises_resolver404)])),
                path("n/a/", Endpoint("next")),
            ]
        )

    stock_outcome = await dispatch(build, stock, ws("/n/a/"))
    ours_outcome = await dispatch(build, ours, ws("/n/a/"))
    assert isinstance(stock_outcome, Leaf) and stock_outcome.name == "next"
    assert ours_outcome == Failed(Resolver404, "raised by the consumer")


def test_difference_route_objects_are_left_as_given():
    for engine, still_endpoint in ((stock, False), (ours, True)):
        entry = path("a/", engine.URLRouter([path("b/", Endpoint("b"))]))
        engine.URLRouter([entry])
        assert entry.pattern._is_endpoint is still_endpoint, engine.__name__


# Random route tables and paths: both engines must pick the same winner. Paths are mostly
# drawn by rendering a random chain of the table's own routes (then perturbed), so that most
# draws hit a route or only just miss one, where precedence and the index matter.


@dataclass(frozen=True)
class Piece:
    """One segment of a random path() route: its text and texts it (nearly) matches."""

    pattern: str
    samples: tuple


SEGMENTS = ["a", "ab", "a1", "b", "1", "10", "a.b"]
PATH_PIECES = [
    *(Piece(segment, (segment,)) for segment in SEGMENTS),
    Piece("<int:{}>", ("1", "08", "x")),
    Piece("<slug:{}>", ("a-b", "a.b")),
    Piece("<str:{}>", ("a", "a.b")),
    Piece("<path:{}>", ("a/b", "1")),
    Piece("<difftest_even:{}>", ("2", "3")),
]
# re_path pieces are joined with "/"; several make that slash optional, which the index must
# notice. "{}" is where a group name goes.
REGEX_PIECES = [
    *(re.escape(segment) for segment in ["a", "ab", "1", "a.b"]),
    r"(?P<{}>\d+)",
    r"(\d+)",
    "ab?",
    "a/?b",
    "a/*b",
    "a/{{0,1}}b",
    r"a\/?b",
    "a+",
    "a{{2}}",
    r"a\d",
    r"\d",
    "(?:a|b)",
    "a|b",
    "a|b/c",
    "a|b/c",
    "[a-z]+",
    ".",
    "",
]
REGEX_LEADS = ["", "^", "^", "^/", "(?i)^"]
REGEX_TRAILS = ["", "/", "/$", "$"]


@dataclass(frozen=True)
class RandomRoute:
    kind: str
    pattern: str
    texts: Any  # a strategy drawing paths that match the pattern, or only just miss it


@st.composite
def random_routes(draw):
    count = draw(st.integers(0, 3))
    if draw(st.booleans()):
        pieces = [draw(st.sampled_from(PATH_PIECES)) for _ in range(count)]
        lead, trail = draw(st.sampled_from(["", "", "", "/"])), draw(st.sampled_from(["", "/"]))
        middle = "/".join(piece.pattern.format(f"n{i}") for i, piece in enumerate(pieces))
        texts = st.tuples(*(st.sampled_from(piece.samples) for piece in pieces)).map(
            lambda samples: lead + "/".join(samples) + trail
        )
        return RandomRoute("path", lead + middle + trail, texts)
    pieces = [draw(st.sampled_from(REGEX_PIECES)).format(f"n{i}") for i in range(count)]
    regex = draw(st.sampled_from(REGEX_LEADS)) + "/".join(pieces)
    regex += draw(st.sampled_from(REGEX_TRAILS))
    return RandomRoute("re_path", regex, st.from_regex(regex, fullmatch=True))


# Defaults add a key, or override a captured one ("n0" is the first piece's name).
route_defaults = st.sampled_from([None, None, {"d": 1}, {"n0": "x"}])


@st.composite
def route_tables(draw, depth=2, min_size=1):
    """Up to five routes; about one in four leads to a nested router, ``depth`` levels down."""
    table = []
    for _ in range(draw(st.integers(min_size, 5))):
        children = None
        if depth and draw(st.integers(0, 3)) == 0:
            children = draw(route_tables(depth - 1, min_size=0))
        table.append((draw(random_routes()), draw(route_defaults), children))
    return table


def build_table(table, engine, prefix=""):
    routes = []
    for index, (random_route, defaults, children) in enumerate(table):
        name = f"{prefix}{index}"
        if children is None:
            target = Endpoint(name)
        else:
            target = engine.URLRouter(build_table(children, engine, f"{name}."))
        make = path if random_route.kind == "path" else re_path
        routes.append(make(random_route.pattern, target, defaults))
    return routes


@st.composite
def paths_for(draw, table):
    """A rendering of a random chain of routes in ``table``, or a random path; perturbed."""
    if draw(st.integers(0, 3)) == 0:
        segments = st.sampled_from([*SEGMENTS, "x", "7", "A", ""])
        text = "/".join(draw(st.lists(segments, max_size=4)))
    else:
        text = ""
        while table:
            random_route, _, children = draw(st.sampled_from(table))
            text += draw(random_route.texts)
            if children is None:
                break
            table = children
    slashes = draw(st.sampled_from(["", "/", "//"]))
    return slashes + text + draw(st.sampled_from(["", "", "", "/", "x/"]))


@settings(
    max_examples=600, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(data=st.data(), table=route_tables(), root_path=st.sampled_from(["", "", "/r"]))
def test_random_tables_pick_the_same_winner(data, table, root_path):
    path_ = data.draw(st.sampled_from(["", root_path])) + data.draw(paths_for(table))
    scope = ws(path_, root_path=root_path)

    def build(engine):
        return engine.URLRouter(build_table(table, engine))

    stock_outcome = asyncio.run(dispatch(build, stock, copy.deepcopy(scope)))
    ours_outcome = asyncio.run(dispatch(build, ours, copy.deepcopy(scope)))
    assert same_outcome(ours_outcome, stock_outcome), (ours_outcome, stock_outcome)
