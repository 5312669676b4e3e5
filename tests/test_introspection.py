"""describe() and explain() on our routers and on stock channels.routing ones."""

import json

import pytest
from channels import routing as stock
from channels.auth import AuthMiddlewareStack
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.sessions import SessionMiddlewareStack
from django.template.loader import render_to_string
from django.urls import include, path, re_path, register_converter

from channels_admin import routing as ours
from channels_admin.introspection import Step, describe, explain, register_explainer
from channels_admin.introspection.describe import register_describer
from channels_admin.introspection.explain import EXPLAINERS
from channels_admin.management.commands.channels_routes import tree_lines
from channels_admin.panels import _rows as panel_rows
from channels_admin.routing import ChannelNameRouter, ProtocolTypeRouter, URLRouter
from channels_admin.views.tree import display_tree
from tests.routing_modules.apps import Leaf, route


class RoomConsumer(AsyncWebsocketConsumer):
    pass


class PageConsumer(AsyncWebsocketConsumer):
    pass


class EvenConverter:
    regex = "[0-9]+"

    def to_python(self, value):
        if int(value) % 2:
            raise ValueError("odd")
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(EvenConverter, "even")


class Exploding:
    """Middleware that must never run during introspection."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        raise AssertionError("introspection ran a middleware")


def tree(routing):
    return routing.ProtocolTypeRouter(
        {
            "websocket": AuthMiddlewareStack(
                routing.URLRouter(
                    [
                        path("rooms/<slug:room>/", RoomConsumer.as_asgi(flavour="plain")),
                        re_path(r"^legacy/(?P<code>\w+)/$", RoomConsumer.as_asgi()),
                        path(
                            "pages/<int:number>/",
                            routing.URLRouter([path("p/<int:page>/", PageConsumer.as_asgi())]),
                        ),
                    ]
                )
            ),
            "channel": routing.ChannelNameRouter({"thumbnails": PageConsumer.as_asgi()}),
        }
    )


def find(node, **fields):
    if all(node.get(key) == value for key, value in fields.items()):
        return node
    for child in node["children"]:
        found = find(child, **fields)
        if found is not None:
            return found
    return None


@pytest.mark.parametrize("routing", [stock, ours])
def test_describe_tree_of_routers_middleware_and_consumers(routing):
    described = describe(tree(routing))
    json.dumps(described)  # JSON-serializable, no object references
    assert described["kind"] == "protocol_router"
    assert described["stock"] is (routing is stock)
    websocket = find(described, key="websocket")
    assert websocket["kind"] == "middleware" and websocket["label"] == "CookieMiddleware"
    url_router = find(websocket, kind="url_router")
    rooms = url_router["children"][0]
    assert rooms["pattern"] == "rooms/<slug:room>/" and rooms["route_index"] == 0
    assert rooms["kind"] == "consumer"
    assert rooms["consumer"] == "tests.test_introspection.RoomConsumer"
    assert rooms["initkwargs"] == {"flavour": "plain"}
    assert rooms["source"]["file"].endswith("tests/test_introspection.py")
    assert url_router["children"][1]["pattern_type"] == "re_path"
    pages = find(url_router, pattern="pages/<int:number>/")
    assert pages["kind"] == "url_router"
    assert (
        find(pages, consumer="tests.test_introspection.PageConsumer")["pattern"] == "p/<int:page>/"
    )
    assert find(described, key="channel")["children"][0]["key"] == "thumbnails"


def test_describe_source_line_of_a_consumer_is_its_class_statement():
    import inspect

    described = describe(RoomConsumer.as_asgi())
    assert described["source"]["line"] == inspect.getsourcelines(RoomConsumer)[1]


def test_describe_include_names_the_module():
    described = describe(URLRouter([path("mod/", include("tests.routing_modules.ws_only"))]))
    child = described["children"][0]
    assert child["include"] == "tests.routing_modules.ws_only"
    assert child["children"][0]["pattern"] == "room/<int:pk>/"


def test_describe_flags_stock_nesting_under_middleware():
    app = stock.URLRouter(
        [path("n/<int:number>/", SessionMiddlewareStack(stock.URLRouter([path("x/", Leaf("x"))])))]
    )
    child = describe(app)["children"][0]
    assert "channels#1428" in child["notes"][0]
    ours = URLRouter(
        [path("n/<int:number>/", SessionMiddlewareStack(URLRouter([path("x/", Leaf("x"))])))]
    )
    assert "notes" not in describe(ours)["children"][0]


def test_the_stock_nesting_note_survives_folding_middleware_into_the_route():
    """The note is on the route's outermost node; every reader folds middleware into the
    route's line and must keep it: the command, the dashboard's tree, the panel's rows."""
    app = stock.URLRouter(
        [path("n/<int:number>/", SessionMiddlewareStack(stock.URLRouter([path("x/", Leaf("x"))])))]
    )
    described = describe(app)
    lines = list(tree_lines(described))
    assert lines[1].startswith("  n/<int:number>/  CookieMiddleware > SessionMiddleware >")
    assert lines[2].startswith("    ! ") and "channels#1428" in lines[2]
    html = render_to_string("channels_admin/tree_node.html", {"item": display_tree(described)})
    assert "channels#1428" in html
    rows = list(panel_rows(display_tree(described)))
    assert rows[1]["through"] == ["CookieMiddleware", "SessionMiddleware"]
    assert "channels#1428" in rows[1]["notes"][0]


def test_describe_is_safe_on_cycles_depth_and_unknown_apps():
    class Loop:
        pass

    loop = Loop()
    loop.inner = Exploding(loop)
    described = describe(loop)
    assert described["children"][0]["children"][0]["kind"] == "cycle"

    deep = Leaf("bottom")
    for _ in range(500):
        deep = Exploding(deep)
    node, depth = describe(deep), 0
    while node["children"]:
        node, depth = node["children"][0], depth + 1
    assert node["kind"] == "truncated" and depth < 500

    opaque = describe(object())
    assert opaque == {
        "kind": "app",
        "label": "object",
        "dotted": "builtins.object",
        "source": None,
        "children": [],
    }


def test_describer_registry_lets_a_new_router_type_join_the_tree():
    class Fanout:
        def __init__(self, apps):
            self.apps = apps

    register_describer(
        Fanout,
        lambda app, tree: {
            "kind": "fanout",
            "label": "Fanout",
            "children": [tree.node(child, key=i) for i, child in enumerate(app.apps)],
        },
    )
    described = describe(ProtocolTypeRouter({"websocket": Fanout([RoomConsumer.as_asgi()])}))
    fanout = described["children"][0]
    assert fanout["kind"] == "fanout" and fanout["children"][0]["consumer"].endswith(
        "RoomConsumer"
    )


@pytest.mark.parametrize("routing", [stock, ours])
def test_explain_hit_names_consumer_kwargs_and_steps(routing):
    result = explain(tree(routing), {"type": "websocket", "path": "/pages/4/p/2/"})
    json.dumps(result)
    assert result["matched"] is True
    assert result["consumer"] == "tests.test_introspection.PageConsumer"
    assert result["kwargs"] == {"number": 4, "page": 2}
    protocol, outer, inner = result["steps"]
    assert protocol["looked_at"] == "type" and protocol["matched"] == "websocket"
    tried = {c["index"]: c.get("reason") for c in outer["candidates"]}
    if routing is stock:  # tries every route in order
        assert tried == {0: "pattern did not match", 1: "pattern did not match", 2: None}
    else:  # its index rules out routes whose literal first segment differs, untried
        assert tried == {2: None} and outer["skipped"] == 2
    assert outer["matched"] == 2 and outer["value"] == "pages/4/p/2/"
    assert inner["value"] == "p/2/" and inner["candidates"][0]["matched"] is True
    assert result["chain"][:4] == [
        "ProtocolTypeRouter",
        "CookieMiddleware",
        "SessionMiddleware",
        "AuthMiddleware",
    ]


@pytest.mark.parametrize("routing", [stock, ours])
def test_explain_nested_miss_and_wrong_protocol(routing):
    result = explain(tree(routing), {"type": "websocket", "path": "/pages/4/p/x/"})
    assert result["matched"] is False and result["consumer"] is None
    outer = result["steps"][1]
    nested = next(c for c in outer["candidates"] if c["index"] == 2)
    assert nested["reason"] == "nested miss"
    inner = nested["nested"][0]["candidates"][0]
    assert inner["reason"] == "converter rejected the value"
    assert inner["hint"] == nested["hint"] == "'x' is not an int for <int:page>"
    assert result["nearest"] == {
        "pattern": "pages/<int:number>/p/<int:page>/",
        "hint": nested["hint"],
    }
    assert nested["nested"][0]["raises"] == "Resolver404"
    assert result["error"] == "No route found for path 'pages/4/p/x/'."

    result = explain(tree(routing), {"type": "http", "path": "/"})
    assert result["matched"] is False
    assert {c["key"]: c["reason"] for c in result["steps"][0]["candidates"]} == {
        "websocket": "wrong protocol",
        "channel": "wrong protocol",
    }


def test_explain_converter_rejection_is_told_apart():
    app = URLRouter([path("even/<even:n>/", Leaf("even"))])
    candidate = explain(app, {"path": "/even/3/"})["steps"][0]["candidates"][0]
    assert candidate["reason"] == "converter rejected the value"
    assert "n='3'" in candidate["detail"]
    assert explain(app, {"path": "/even/4/"})["kwargs"] == {"n": 4}


def test_explain_channel_names():
    app = tree(ours)
    hit = explain(app, {"type": "channel", "channel": "thumbnails"})
    assert hit["matched"] and hit["steps"][1]["looked_at"] == "channel"
    miss = explain(app, {"type": "channel", "channel": "nope"})
    assert miss["steps"][1]["candidates"][0]["reason"] == "wrong channel name"


def test_stock_cannot_route_path_to_router_under_middleware_and_explain_says_why():
    """channels#1428: the same routes, stock misses where ours matches."""

    def build(routing):
        return routing.URLRouter(
            [
                path(
                    "n/<int:number>/",
                    SessionMiddlewareStack(routing.URLRouter([path("p/<int:page>/", Leaf("p"))])),
                )
            ]
        )

    scope = {"type": "websocket", "path": "/n/1/p/2/"}
    stock_result = explain(build(stock), scope)
    assert stock_result["matched"] is False
    candidate = stock_result["steps"][0]["candidates"][0]
    assert candidate["reason"] == "pattern did not match"
    assert "channels#1428" in candidate["note"]
    fixed = explain(build(ours), scope)
    assert fixed["matched"] is True and fixed["kwargs"] == {"number": 1, "page": 2}


@pytest.mark.parametrize(
    "url", ["/rooms/a/", "/legacy/x1/", "/pages/3/p/9/", "/pages/3/", "/nope/", "/legacy/x/y/"]
)
@pytest.mark.parametrize("routing", [stock, ours])
async def test_explain_agrees_with_real_dispatch(routing, url):
    def build():
        return routing.URLRouter(
            [
                path("rooms/<slug:room>/", Leaf("room")),
                re_path(r"^legacy/(?P<code>\w+)/$", Leaf("legacy")),
                path("pages/<int:number>/", routing.URLRouter([path("p/<int:page>/", Leaf("p"))])),
            ]
        )

    scope = {"type": "websocket", "path": url, "headers": []}
    result = explain(build(), scope)
    try:
        name, routed = await route(build(), dict(scope))
    except ValueError:
        assert result["matched"] is False
    else:
        assert result["matched"] is True
        assert result["consumer"] == "tests.routing_modules.apps.Leaf"
        assert result["kwargs"] == routed["url_route"]["kwargs"]


def test_explain_never_runs_middleware_or_consumers():
    app = ProtocolTypeRouter(
        {"websocket": Exploding(URLRouter([path("a/", Exploding(Leaf("a")))]))}
    )
    result = explain(app, {"type": "websocket", "path": "/a/"})
    assert result["matched"] and result["chain"] == [
        "ProtocolTypeRouter",
        "Exploding",
        "URLRouter",
        "Exploding",
        "Leaf",
    ]


def test_explain_reports_what_dispatch_would_raise_for_a_scope_without_a_channel():
    result = explain(ChannelNameRouter({"a": Leaf("a")}), {"type": "channel"})
    assert result["matched"] is False and "without a 'channel' key" in result["error"]


def test_explainer_registry_lets_a_new_router_type_explain_itself():
    class HeaderRouter:
        def __init__(self, apps):
            self.apps = apps

    def explain_header(router, scope, walk):
        value = dict(scope["headers"]).get(b"x-kind", b"").decode()
        app = router.apps.get(value)
        info = {
            "label": "HeaderRouter",
            "looked_at": "x-kind",
            "value": value,
            "candidates": [],
            "matched": value if app else None,
        }
        return Step(info, app, scope)

    register_explainer(HeaderRouter, explain_header)
    try:
        app = HeaderRouter({"room": RoomConsumer.as_asgi()})
        result = explain(app, {"path": "/", "headers": [(b"x-kind", b"room")]})
        assert result["consumer"] == "tests.test_introspection.RoomConsumer"
        assert explain(app, {"path": "/"})["matched"] is False
    finally:
        del EXPLAINERS[HeaderRouter]
