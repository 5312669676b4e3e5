"""Action routing in describe(), explain_action(), the recorder and channels_routes."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import path

from channels_admin.actions import AsyncAPIActionHandler, AsyncAPIConsumer, async_action, include
from channels_admin.introspection import describe, explain, explain_action
from channels_admin.middleware import RoutingRecorderMiddleware
from channels_admin.registry import set_registry
from channels_admin.registry.memory import MemoryRegistry
from tests.test_actions import call, open_socket, routed


class Show(AsyncAPIActionHandler):
    """Says which route reached it, with the kwargs routing gave it."""

    name = "show"

    @async_action
    async def show(self):
        return {"name": self.name, "kwargs": self.kwargs}, 200


class Members(Show):
    """A handler with routes of its own: ``members/`` and ``members/<pk>/``."""

    routepatterns = [path("<int:pk>/", Show.as_aaah(name="member"))]

    @async_action
    async def count(self):
        return 0, 200


class Api(AsyncAPIConsumer):
    routepatterns = [
        path(
            "v1/",
            include([path("orgs/<int:org>/", include([path("members/", Members.as_aaah())]))]),
        ),
        path("items/<int:pk>/", Show.as_aaah(name="item")),
    ]

    @async_action
    async def ping(self):
        return {"pong": True}, 200


HERE = "tests.test_introspection_actions"


def test_describe_lists_routepatterns_handlers_actions_and_nested_routes():
    consumer = describe(routed(Api))["children"][0]
    json.dumps(consumer)
    assert consumer["kind"] == "consumer" and consumer["consumer"] == f"{HERE}.Api"
    assert consumer["actions"] == ["ping"]
    v1, items = consumer["children"]
    assert (v1["kind"], v1["pattern"], v1["include"]) == ("action_include", "v1/", "list")
    orgs = v1["children"][0]
    assert (orgs["kind"], orgs["pattern"]) == ("action_include", "orgs/<int:org>/")
    members = orgs["children"][0]
    assert members["kind"] == "action_handler" and members["pattern"] == "members/"
    assert members["handler"] == f"{HERE}.Members"
    assert members["actions"] == ["count", "show"]
    member = members["children"][0]
    assert (member["handler"], member["pattern"]) == (f"{HERE}.Show", "<int:pk>/")
    assert member["initkwargs"] == {"name": "member"}
    assert items["handler"] == f"{HERE}.Show" and items["source"]["line"] > 0


def test_explain_stops_at_the_consumer_actions_are_per_frame():
    result = explain(routed(Api), {"path": "/ws/lobby/"})
    assert result["consumer"] == f"{HERE}.Api" and result["app_kind"] == "consumer"
    assert result["kwargs"] == {"room": "lobby"}


@pytest.mark.parametrize(
    "route, name, kwargs",
    [
        ("v1/orgs/4/members/", "show", {"org": 4}),
        ("v1/orgs/4/members/9/", "member", {"org": 4, "pk": 9}),
        ("items/7/", "item", {"pk": 7}),
        ("v1/orgs/4/members/x/", None, None),
        ("items/seven/", None, None),
    ],
)
async def test_explain_action_names_the_handler_dispatch_runs(route, name, kwargs):
    result = explain_action(routed(Api), route, {"path": "/ws/lobby/"})
    async with open_socket(routed(Api), "/ws/lobby/") as ws:
        reply = await call(ws, action="show", route=route)
    if name is None:
        assert not result["matched"] and reply["status"] == 404
        assert result["handler"] == f"{HERE}.Api" and result["actions"] == ["ping"]
        assert "answered 404" in result["error"]
        return
    assert reply["status"] == 200 and reply["data"]["name"] == name
    assert result["matched"] and result["consumer"] == f"{HERE}.Api"
    assert result["kwargs"] == reply["data"]["kwargs"] == {"room": "lobby", **kwargs}
    handler = f"{HERE}.Members" if name == "show" else f"{HERE}.Show"
    assert result["handler"] == handler
    assert "show" in result["actions"]


def test_explain_action_says_why_each_route_missed():
    steps = explain_action(Api, "v1/orgs/4/members/x/")["steps"]
    v1 = steps[0]["candidates"][0]
    assert v1["reason"] == "nested miss"
    orgs = v1["nested"][0]["candidates"][0]
    assert orgs["reason"] == "nested miss"
    members = orgs["nested"][0]["candidates"][0]
    assert members["reason"] == "the rest of the route did not match"
    assert members["nested"][0]["value"] == "x/"
    assert members["nested"][0]["candidates"][0]["reason"] == "converter rejected the value"
    assert steps[0]["candidates"][1] == {
        "matched": False,
        "index": 1,
        "pattern": "items/<int:pk>/",
        "reason": "pattern did not match",
    }
    assert steps[0]["error"] == "No route matches 'v1/orgs/4/members/x/'."


def test_explain_action_takes_the_class_its_as_asgi_or_any_application():
    hit = explain_action(Api.as_asgi(), "v1/orgs/1/members/2/")
    assert [step["matched"] for step in hit["steps"]] == [0, 0, 0, 0]
    assert hit["kwargs"] == {"org": 1, "pk": 2} and "connection" not in hit
    no_route = explain_action(Api, "")
    assert no_route["handler"] == f"{HERE}.Api" and "answered 405" in no_route["error"]
    elsewhere = explain_action(routed(Api), "items/1/", {"path": "/nowhere/"})
    assert elsewhere["consumer"] is None and not elsewhere["connection"]["matched"]
    assert (
        elsewhere["error"] == "The connection goes to no consumer, which does not route actions."
    )


async def test_recorder_keeps_the_consumer_and_its_connection_trace():
    registry = MemoryRegistry()
    set_registry(registry)
    try:
        async with open_socket(RoutingRecorderMiddleware(routed(Api)), "/ws/lobby/") as ws:
            assert (await call(ws, action="show", route="items/3/"))["status"] == 200
            live = (await registry.connections())["connections"][0]
            assert live["consumer"] == f"{HERE}.Api" and live["outcome"] == "hit"
            assert [step["label"] for step in live["trace"]] == ["URLRouter"]
            assert live["messages_in"] == 1
    finally:
        set_registry(None)


def run_command(*args):
    out = StringIO()
    call_command("channels_routes", *args, stdout=out)
    return out.getvalue()


def test_channels_routes_shows_the_example_action_api():
    lines = run_command().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("    ws/api/  "))
    assert lines[start].startswith("    ws/api/  rooms.consumers.ApiConsumer  [")
    assert lines[start].endswith("]  actions: ping")
    assert lines[start + 1] == "      v1/  include"
    assert lines[start + 2].startswith("        rooms/  rooms.actions.RoomsHandler  [")
    assert lines[start + 2].endswith("]  actions: create, list")
    assert lines[start + 3].startswith(
        "        rooms/<int:pk>/messages/  rooms.actions.MessagesHandler  ["
    )
    assert lines[start + 3].endswith("]  actions: create, list, subscribe, unsubscribe")


def test_channels_routes_resolves_an_action_route():
    lines = run_command("--resolve", "/ws/api/", "--route", "v1/rooms/5/messages/").splitlines()
    start = lines.index(
        "route 'v1/rooms/5/messages/' -> rooms.actions.MessagesHandler  kwargs={'pk': 5}  "
        "actions: create, list, subscribe, unsubscribe"
    )
    assert lines[start + 1 :] == [
        "  ActionRouter looked at route='v1/rooms/5/messages/'",
        "    + [0] v1/",
        "  ActionRouter looked at route='rooms/5/messages/'",
        "    - [0] rooms/: pattern did not match",
        "    + [1] rooms/<int:pk>/messages/",
    ]
    result = json.loads(
        run_command("--resolve", "/ws/api/", "--route", "v1/x/", "--format", "json")
    )
    assert result["consumer"] == "rooms.consumers.ApiConsumer"
    assert result["action"]["handler"] == "rooms.consumers.ApiConsumer"
    assert result["action"]["steps"][0]["candidates"][0]["reason"] == "nested miss"


def test_channels_routes_route_errors():
    with pytest.raises(CommandError, match="--route needs --resolve PATH"):
        run_command("--route", "v1/rooms/")
    with pytest.raises(CommandError, match="ChatConsumer, which does not route actions"):
        run_command("--resolve", "/ws/chat/lobby/", "--route", "v1/rooms/")
