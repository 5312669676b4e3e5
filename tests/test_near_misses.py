"""Near misses: every route of a router on a miss, a specific reason and hint for each, and the
nearest route; checked against what dispatch then does with the path the hint suggests."""

import ast
import asyncio

import channels.routing as stock
import pytest
from django.urls import path, re_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import channels_admin.routing as ours
from channels_admin.introspection import explain, explain_action
from channels_admin.introspection.steps import nearest
from channels_admin.introspection.targets import read_target
from channels_admin.routing import RouteNotFound
from tests import test_routing_differential as differential
from tests.routing_modules.apps import Leaf, Reached
from tests.test_introspection_actions import Api


def routes(routing):
    return routing.ProtocolTypeRouter(
        {
            "websocket": routing.URLRouter(
                [
                    path("ws/chat/<str:room>/", Leaf("chat")),
                    path("ws/number/<int:number>/", Leaf("number")),
                    path("Admin/feed/", Leaf("feed")),
                    path("ws/api/", routing.URLRouter([path("rooms/<int:pk>/", Leaf("room"))])),
                    re_path(r"^legacy/(?P<code>\w+)/$", Leaf("legacy")),
                ]
            )
        }
    )


def candidates(result):
    return {c["index"]: c for c in result["steps"][-1]["candidates"]}


BOTH = pytest.mark.parametrize("routing", [stock, ours], ids=["stock", "ours"])


@BOTH
def test_missing_trailing_slash(routing):
    result = explain(routes(routing), {"path": "/ws/chat/lobby"})
    chat = candidates(result)[0]
    assert chat["reason"] == "missing trailing slash"
    assert chat["hint"] == "add a trailing slash: 'ws/chat/lobby/'"
    assert result["nearest"] == {"pattern": "ws/chat/<str:room>/", "hint": chat["hint"]}


@BOTH
def test_extra_trailing_slash(routing):
    result = explain(routes(routing), {"path": "/legacy/abc//"})
    assert candidates(result)[4]["reason"] == "extra trailing slash"
    assert result["nearest"]["hint"] == "remove the trailing slash: 'legacy/abc/'"


@BOTH
def test_a_converter_refusing_a_segment_is_named(routing):
    result = explain(routes(routing), {"path": "/ws/number/abc/"})
    number = candidates(result)[1]
    assert number["reason"] == "converter rejected the value"
    assert number["hint"] == "'abc' is not an int for <int:number>"
    assert result["nearest"]["pattern"] == "ws/number/<int:number>/"


@BOTH
def test_case_difference(routing):
    result = explain(routes(routing), {"path": "/admin/feed/"})
    assert candidates(result)[2]["hint"] == "paths are case-sensitive: the route is 'Admin/feed/'"
    assert result["nearest"]["pattern"] == "Admin/feed/"


@BOTH
def test_a_prefix_that_matched_with_nothing_below_it(routing):
    result = explain(routes(routing), {"path": "/ws/api/nothing/"})
    api = candidates(result)[3]
    assert api["reason"] == "nested miss"
    assert api["hint"] == "'ws/api/' matched, but no route below it takes 'nothing/'"
    deeper = explain(routes(routing), {"path": "/ws/api/rooms/x/"})
    assert deeper["nearest"] == {
        "pattern": "ws/api/rooms/<int:pk>/",
        "hint": "'x' is not an int for <int:pk>",
    }


@BOTH
def test_wrong_protocol_type(routing):
    result = explain(routes(routing), {"type": "http", "path": "/ws/chat/lobby/"})
    assert result["nearest"] == {
        "pattern": "websocket",
        "hint": "this application routes websocket here: connect with a ws:// or wss:// URL",
    }


def test_routes_ruled_out_by_the_index_are_listed_on_a_miss_with_their_reason():
    result = explain(routes(ours), {"path": "/nowhere/"})
    step = result["steps"][-1]
    assert step["skipped"] == 5  # every route has a literal first segment
    assert sorted(candidates(result)) == [0, 1, 2, 3, 4]  # every route, in route order
    skipped = candidates(result)[0]
    assert skipped["reason"] == "first segment differs"
    assert skipped["detail"] == "the route starts with 'ws', the path with 'nowhere'"
    hit = explain(routes(ours), {"path": "/ws/chat/x/"})
    assert [c["index"] for c in hit["steps"][-1]["candidates"]] == [0]  # a hit stays short


def test_a_hit_has_no_nearest_and_a_miss_without_routes_has_none():
    assert explain(routes(ours), {"path": "/ws/chat/x/"})["nearest"] is None
    assert nearest([]) is None


@pytest.mark.parametrize(
    "pasted, path, query",
    [
        ("ws://localhost:8000/ws/chat/lobby/?x=1", "/ws/chat/lobby/", "x=1"),
        ("  wss://example.com/ws/chat/lobby/  ", "/ws/chat/lobby/", ""),
        ("HTTP://example.com:80/ws/chat/lobby/?a=b&c=d", "/ws/chat/lobby/", "a=b&c=d"),
        ("https://example.com", "/", ""),
        ("\t/ws/chat/lobby/?token=1\n", "/ws/chat/lobby/", "token=1"),
        ("/ws/chat/ws://odd/", "/ws/chat/ws://odd/", ""),
    ],
)
def test_pasted_urls_give_their_path(pasted, path, query):
    scope, dropped = read_target(pasted, "websocket")
    assert (scope["path"], dropped) == (path, query)
    assert read_target("  chat.thumbnails ", "channel")[0] == {
        "type": "channel",
        "channel": "chat.thumbnails",
    }


def test_action_route_misses_get_the_same_reasons_and_a_nearest_route():
    result = explain_action(Api, "v1/orgs/4/members/x/")
    assert result["matched"] is False
    assert result["nearest"]["hint"] == "'x' is not an int for <int:pk>"


async def dispatch(app, scope):
    try:
        await app(dict(scope), None, None)
    except Reached as reached:
        return reached.args[0]
    except (ValueError, RouteNotFound):
        return None
    raise AssertionError("the app neither reached a leaf nor raised")


HINTED = ["/ws/chat/lobby", "/legacy/abc//", "/ws/number/12", "/ws/chat/a b"]


@BOTH
@pytest.mark.parametrize("url", HINTED + ["/ws/number/abc/", "/admin/feed/", "/nope/"])
async def test_hints_never_contradict_dispatch(routing, url):
    """A miss explain() reports is a miss for dispatch; where a hint names a fixed path,
    dispatching that path reaches the nearest route."""
    scope = {"type": "websocket", "path": url, "headers": []}
    result = explain(routes(routing), scope)
    assert result["matched"] is (await dispatch(routes(routing), scope) is not None)
    hint = (result["nearest"] or {}).get("hint") or ""
    if "trailing slash: " in hint:
        fixed = "/" + hint.split("trailing slash: ", 1)[1].strip("'")
        reached = await dispatch(routes(routing), dict(scope, path=fixed))
        assert reached is not None, (url, fixed)
        assert explain(routes(routing), dict(scope, path=fixed))["matched"] is True


@settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(data=st.data(), table=differential.route_tables())
def test_random_tables_explain_misses_as_dispatch_does_and_slash_hints_hold(data, table):
    """On random route tables: explain() misses exactly when dispatch fails, and where a route
    with no router below it gets a trailing-slash hint, dispatch takes the fixed path."""
    path_ = data.draw(differential.paths_for(table))

    def build(engine):
        return engine.URLRouter(differential.build_table(table, engine))

    outcome = asyncio.run(differential.dispatch(build, ours, differential.ws(path_)))
    try:
        result = explain(build(ours), differential.ws(path_))
    except Exception as exc:  # building the routes failed: dispatch failed the same way
        assert isinstance(outcome, differential.Failed), exc
        return
    assert result["matched"] is not isinstance(outcome, differential.Failed), (result, outcome)
    if result["matched"]:
        return
    step = result["steps"][-1]
    for tried in step["candidates"]:
        hint = tried.get("hint") or ""
        if (
            tried.get("nested")
            or "trailing slash: " not in hint
            or tried["reason"] == "first segment differs"
        ):
            continue
        if table[tried["index"]][2] is not None:
            continue  # a router below: the prefix matches, what is below is another question
        fixed = "/" + ast.literal_eval(hint.split("trailing slash: ", 1)[1])  # a repr
        fixed_outcome = asyncio.run(differential.dispatch(build, ours, differential.ws(fixed)))
        assert not isinstance(fixed_outcome, differential.Failed), (path_, fixed, hint)
