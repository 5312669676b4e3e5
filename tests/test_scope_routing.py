"""Our scope routers: Channels' semantics, plus what Channels gets wrong or lacks."""

import pytest
from channels.auth import AuthMiddlewareStack
from channels.middleware import BaseMiddleware
from channels.sessions import SessionMiddlewareStack
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import include, path, re_path
from django.urls.exceptions import Resolver404

from channels_admin.routing import (
    ChannelNameRouter,
    ProtocolTypeRouter,
    RouteNotFound,
    URLRouter,
    get_default_application,
)
from tests.routing_modules.apps import Leaf, route


def ws(path, **extra):
    return {"type": "websocket", "path": path, "headers": [], **extra}


@pytest.mark.django_db  # AuthMiddleware touches the db once an earlier test opened a connection
async def test_nested_router_under_auth_middleware_routes_path_prefix():
    """channels#1428: a path() leading to middleware-wrapped URLRouter is a prefix."""
    app = URLRouter(
        [
            path(
                "number/<int:number>/",
                AuthMiddlewareStack(URLRouter([path("test/<int:page>/", Leaf("inner"))])),
            )
        ]
    )
    name, scope = await route(app, ws("/number/42/test/3/"))
    assert name == "inner"
    assert scope["url_route"] == {"args": (), "kwargs": {"number": 42, "page": 3}}
    assert scope["path_remaining"] == ""


async def test_middleware_wrapped_leaf_still_needs_a_full_match():
    app = URLRouter([path("chat/", SessionMiddlewareStack(Leaf("chat")))])
    assert (await route(app, ws("/chat/")))[0] == "chat"
    with pytest.raises(RouteNotFound):
        await route(app, ws("/chat/extra/"))


async def test_functools_wraps_chain_is_followed():
    import functools

    inner = URLRouter([path("b/", Leaf("b"))])

    @functools.wraps(inner)
    async def wrapper(scope, receive, send):
        return await inner(scope, receive, send)

    app = URLRouter([path("a/", wrapper)])
    assert (await route(app, ws("/a/b/")))[0] == "b"


async def test_include_list_and_module_and_tuple():
    app = URLRouter(
        [
            path("api/", include([path("v/<int:v>/", Leaf("list"))])),
            path("mod/", include("tests.routing_modules.ws_only")),
            path("named/", include(([path("x/", Leaf("tuple"))], "named"))),
        ]
    )
    name, scope = await route(app, ws("/api/v/2/"))
    assert (name, scope["url_route"]["kwargs"]) == ("list", {"v": 2})
    name, scope = await route(app, ws("/mod/room/7/"))
    assert (name, scope["url_route"]["kwargs"]) == ("module-room", {"pk": 7})
    assert (await route(app, ws("/named/x/")))[0] == "tuple"


async def test_include_default_kwargs_apply():
    app = URLRouter([path("api/", include([path("x/", Leaf("x"))]), {"version": "1"})])
    _, scope = await route(app, ws("/api/x/"))
    assert scope["url_route"]["kwargs"] == {"version": "1"}


async def test_nested_miss_tries_the_next_route():
    app = URLRouter(
        [
            path("a/", URLRouter([path("one/", Leaf("one"))])),
            re_path(r"^a/(?P<rest>.+)$", Leaf("fallback")),
        ]
    )
    name, scope = await route(app, ws("/a/two"))
    assert name == "fallback"
    assert scope["url_route"]["kwargs"] == {"rest": "two"}


async def consumer_raising_resolver404(scope, receive, send):
    raise Resolver404("raised by the consumer")


async def test_resolver404_from_a_consumer_propagates_instead_of_trying_the_next_route():
    """A consumer's Resolver404 (say, from django.urls.resolve()) is not a routing miss: the
    connection is already that consumer's, so no other route's app may run on it."""
    flat = URLRouter([path("a/", consumer_raising_resolver404), path("a/", Leaf("next"))])
    nested = URLRouter(
        [
            path("n/", URLRouter([path("a/", consumer_raising_resolver404)])),
            path("n/a/", Leaf("next")),
        ]
    )
    for app, path_ in ((flat, "/a/"), (nested, "/n/a/")):
        with pytest.raises(Resolver404, match="raised by the consumer"):
            await route(app, ws(path_))


async def test_outermost_miss_raises_route_not_found_naming_path_and_count():
    app = URLRouter([path("a/", Leaf("a")), path("b/", Leaf("b"))])
    with pytest.raises(RouteNotFound, match=r"'/nowhere/'.*2 routes tried") as caught:
        await route(app, ws("/nowhere/"))
    assert isinstance(caught.value, ValueError)


async def test_nested_router_raises_resolver404_when_called_directly():
    app = URLRouter([path("a/", Leaf("a"))])
    with pytest.raises(Resolver404):
        await route(app, ws("/x", path_remaining="x", url_route={"args": (), "kwargs": {}}))


async def test_caller_scope_is_untouched_and_defaults_override_captures():
    app = URLRouter([path("p/<int:n>/", Leaf("p"), {"n": 99, "extra": True})])
    original = ws("/p/1/")
    _, scope = await route(app, original)
    assert scope["url_route"]["kwargs"] == {"n": 99, "extra": True}
    assert "url_route" not in original and "path_remaining" not in original


async def test_re_path_mixing_named_and_positional_keeps_only_named():
    app = URLRouter([re_path(r"^(\d+)/(?P<slug>[a-z]+)/$", Leaf("mixed"))])
    _, scope = await route(app, ws("/12/abc/"))
    assert scope["url_route"] == {"args": (), "kwargs": {"slug": "abc"}}


async def test_outer_args_come_first_and_inner_kwargs_win():
    inner = URLRouter([re_path(r"^(\d+)/$", Leaf("inner")), path("k/<str:id>/", Leaf("k"))])
    app = URLRouter([re_path(r"^(\d+)/", inner), path("o/<str:id>/", inner)])
    _, scope = await route(app, ws("/1/2/"))
    assert scope["url_route"]["args"] == ("1", "2")
    _, scope = await route(app, ws("/o/outer/k/inner/"))
    assert scope["url_route"]["kwargs"] == {"id": "inner"}


async def test_root_path_is_stripped_by_the_outermost_router_only():
    app = URLRouter([path("chat/", Leaf("chat"))])
    assert (await route(app, ws("/prefix/chat/", root_path="/prefix")))[0] == "chat"
    with pytest.raises(RouteNotFound):
        await route(app, ws("/other/chat/", root_path="/prefix"))


async def test_unanchored_re_path_uses_search():
    app = URLRouter([re_path(r"room/(?P<n>\d+)", Leaf("room"))])
    _, scope = await route(app, ws("/x/room/5/"))
    assert scope["url_route"]["kwargs"] == {"n": "5"}


async def test_scope_without_path_is_a_value_error():
    with pytest.raises(ValueError, match="No 'path' key"):
        await route(URLRouter([]), {"type": "websocket"})


async def test_protocol_type_and_channel_name_routers():
    app = ProtocolTypeRouter(
        {"websocket": Leaf("ws"), "channel": ChannelNameRouter({"jobs": Leaf("jobs")})}
    )
    assert (await route(app, ws("/")))[0] == "ws"
    assert (await route(app, {"type": "channel", "channel": "jobs"}))[0] == "jobs"
    with pytest.raises(RouteNotFound, match="scope type 'http'"):
        await route(app, {"type": "http", "path": "/"})
    with pytest.raises(RouteNotFound, match="channel name 'other'"):
        await route(app, {"type": "channel", "channel": "other"})
    with pytest.raises(ValueError, match="without a 'channel' key"):
        await route(ChannelNameRouter({}), {"type": "channel"})


def test_match_is_pure_and_names_the_route():
    leaf = Leaf("b")
    router = URLRouter([path("a/", Leaf("a")), path("b/<int:n>/", leaf)])
    scope = ws("/b/3/")
    match = router.match(scope)
    assert (match.key, match.app) == (1, leaf)
    assert match.scope["url_route"]["kwargs"] == {"n": 3}
    assert scope == ws("/b/3/")
    assert router.match(ws("/c/")) is None


def test_routes_given_to_the_router_are_not_mutated():
    inner = URLRouter([path("x/", Leaf("x"))])
    entry = path("a/", inner)
    URLRouter([entry])
    assert entry.pattern._is_endpoint is True


def test_bad_route_entry_is_a_clear_error():
    with pytest.raises(ImproperlyConfigured, match="path\\(\\) or re_path\\(\\)"):
        URLRouter([Leaf("not-a-route")])


class Passthrough(BaseMiddleware):
    pass


async def test_our_router_nested_in_stock_channels_router():
    from channels.routing import URLRouter as StockURLRouter

    app = StockURLRouter([path("a/<int:x>/", URLRouter([path("b/", Leaf("b"))]))])
    _, scope = await route(app, ws("/a/1/b/"))
    assert scope["url_route"]["kwargs"] == {"x": 1}


async def test_stock_router_nested_in_ours_falls_through_on_its_miss():
    from channels.routing import URLRouter as StockURLRouter

    app = URLRouter(
        [
            path("a/", Passthrough(StockURLRouter([path("one/", Leaf("one"))]))),
            path("a/two/", Leaf("two")),
        ]
    )
    assert (await route(app, ws("/a/one/")))[0] == "one"
    assert (await route(app, ws("/a/two/")))[0] == "two"


@override_settings(ASGI_APPLICATION="tests.routing_modules.missing.application")
def test_get_default_application_errors():
    with pytest.raises(ImproperlyConfigured, match="Cannot import ASGI_APPLICATION module"):
        get_default_application()
    with override_settings(ASGI_APPLICATION="tests.routing_modules.apps.nothing"):
        with pytest.raises(ImproperlyConfigured, match="Cannot find 'nothing'"):
            get_default_application()
    with override_settings(ASGI_APPLICATION=None):
        with pytest.raises(ImproperlyConfigured, match="Cannot find ASGI_APPLICATION setting"):
            get_default_application()
    with override_settings(ASGI_APPLICATION="tests.routing_modules.apps.Leaf"):
        assert get_default_application() is Leaf
