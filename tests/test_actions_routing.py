"""Action routing: include() to any depth, nested handlers, the pure match() and its trace."""

import django.urls
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import path, re_path

from channels_admin.actions import (
    ActionRouter,
    AsyncAPIActionHandler,
    AsyncAPIConsumer,
    async_action,
    include,
)
from channels_admin.routing.trace import current_trace
from tests.test_actions import call, open_socket, routed

pytestmark = pytest.mark.django_db(transaction=True)


class Echo(AsyncAPIActionHandler):
    """Says which handler it is, with the args and kwargs routing gave it."""

    name = "echo"

    @async_action
    async def show(self):
        return {"name": self.name, "args": list(self.args), "kwargs": self.kwargs}, 200


#: Included by dotted path below: a test module is a module like any other.
routepatterns = [path("items/<int:pk>/", Echo.as_aaah(name="from-module"))]


class DeepConsumer(AsyncAPIConsumer):
    routepatterns = [
        path(
            "v1/",
            include(
                [
                    path(
                        "orgs/<int:org>/",
                        include(
                            [
                                path(
                                    "teams/<slug:team>/",
                                    include(
                                        [path("members/<int:pk>/", Echo.as_aaah(name="deep"))]
                                    ),
                                ),
                            ]
                        ),
                    ),
                ]
            ),
        ),
        path("mod/", include("tests.test_actions_routing")),
        path("django-list/", django.urls.include([path("x/<int:n>/", Echo.as_aaah())])),
        path("django-module/", django.urls.include("tests.test_actions_routing")),
        re_path(r"^re/(?P<kind>[a-z]+)/", include([path("end/", Echo.as_aaah(name="re"))])),
        path("v2/", include([path("e/", Echo.as_aaah(name="v2"))]), {"version": 2}),
        # An include none of whose routes match falls through to the next entry.
        path("a/", include([path("x/", Echo.as_aaah(name="ax"))])),
        path("a/y/", Echo.as_aaah(name="ay")),
    ]


async def test_include_three_levels_deep_accumulates_kwargs():
    async with open_socket(routed(DeepConsumer), "/ws/lobby/") as ws:
        reply = await call(ws, action="show", route="v1/orgs/4/teams/red-team/members/9/")
    assert reply["status"] == 200
    assert reply["route"] == "v1/orgs/4/teams/red-team/members/9/"
    assert reply["data"] == {
        "name": "deep",
        "args": [],
        "kwargs": {"room": "lobby", "org": 4, "team": "red-team", "pk": 9},
    }


async def test_a_miss_at_any_depth_is_a_404_and_leaves_the_connection_open():
    async with open_socket(DeepConsumer.as_asgi()) as ws:
        for route in [
            "v1/orgs/4/teams/red-team/members/nine/",
            "v1/orgs/4/teams/red team/members/9/",
            "v1/orgs/4/teams/red-team/",
            "v1/",
        ]:
            reply = await call(ws, action="show", route=route)
            assert reply["status"] == 404, route
        assert (await call(ws, action="show", route="v2/e/"))["status"] == 200


async def test_include_by_dotted_module_path_uses_its_routepatterns():
    async with open_socket(DeepConsumer.as_asgi()) as ws:
        ours = await call(ws, action="show", route="mod/items/3/")
        djangos = await call(ws, action="show", route="django-module/items/8/")
    assert ours["data"] == {"name": "from-module", "args": [], "kwargs": {"pk": 3}}
    assert djangos["data"] == {"name": "from-module", "args": [], "kwargs": {"pk": 8}}


async def test_django_include_of_a_list_and_re_path_prefixes_work():
    async with open_socket(DeepConsumer.as_asgi()) as ws:
        listed = await call(ws, action="show", route="django-list/x/5/")
        regex = await call(ws, action="show", route="re/blue/end/")
    assert listed["data"]["kwargs"] == {"n": 5}
    assert regex["data"] == {"name": "re", "args": [], "kwargs": {"kind": "blue"}}


async def test_include_extra_kwargs_reach_the_handler():
    async with open_socket(DeepConsumer.as_asgi()) as ws:
        reply = await call(ws, action="show", route="v2/e/")
    assert reply["data"]["kwargs"] == {"version": 2}


async def test_an_include_that_misses_lets_later_routes_match():
    async with open_socket(DeepConsumer.as_asgi()) as ws:
        ax = await call(ws, action="show", route="a/x/")
        ay = await call(ws, action="show", route="a/y/")
    assert (ax["data"]["name"], ay["data"]["name"]) == ("ax", "ay")


class GrandChild(AsyncAPIActionHandler):
    @async_action
    async def level(self):
        return 3, 200


class Child(AsyncAPIActionHandler):
    routepatterns = [path("grandchild/<int:n>/", GrandChild.as_aaah())]

    @async_action
    async def level(self):
        return 2, 200


class Parent(AsyncAPIConsumer):
    routepatterns = [path("child/", Child.as_aaah())]

    @async_action
    async def level(self):
        return 1, 200


async def test_a_handler_with_its_own_routepatterns_nests_and_still_answers_itself():
    async with open_socket(Parent.as_asgi()) as ws:
        assert (await call(ws, action="level"))["data"] == 1
        assert (await call(ws, action="level", route="child/"))["data"] == 2
        deep = await call(ws, action="level", route="child/grandchild/1/")
        assert deep["data"] == 3
        assert deep["route"] == "child/grandchild/1/"
        # A route that goes past the child without matching its routes misses.
        assert (await call(ws, action="level", route="child/nope/"))["data"] == 1


def action_scope(route, **url_kwargs):
    return {
        "type": "websocket",
        "path": "/ws/",
        "route": route,
        "path_remaining": route,
        "url_route": {"args": (), "kwargs": url_kwargs},
    }


def test_match_is_pure_and_describes_every_level():
    router = DeepConsumer.action_router
    scope = action_scope("v1/orgs/4/teams/red/members/9/", room="lobby")
    match = router.match(scope)
    keys = []
    level = match
    while level is not None:
        keys.append(level.key)
        leaf = level
        level = level.inner
    assert keys == [0, 0, 0, 0]
    assert leaf.app.handler_class is Echo
    assert leaf.scope["url_route"]["kwargs"] == {"room": "lobby", "org": 4, "team": "red", "pk": 9}
    assert leaf.scope["path_remaining"] == ""
    assert scope["path_remaining"] == "v1/orgs/4/teams/red/members/9/"  # untouched
    assert router.match(action_scope("v1/orgs/4/")) is None


def test_routepatterns_stay_readable_on_the_class():
    assert DeepConsumer.routepatterns[0].pattern.describe() == "'v1/'"
    assert isinstance(DeepConsumer.action_router, ActionRouter)
    assert DeepConsumer.action_router.routepatterns is DeepConsumer.routepatterns


class TracedApp:
    """Stands in for the recorder: gives the connection a trace list, as its context var."""

    def __init__(self, app, trace):
        self.app = app
        self.trace = trace

    async def __call__(self, scope, receive, send):
        current_trace.set(self.trace)
        return await self.app(scope, receive, send)


async def test_each_action_routing_decision_is_recorded_in_the_trace():
    trace = []
    async with open_socket(TracedApp(DeepConsumer.as_asgi(), trace)) as ws:
        await call(ws, action="show", route="v2/e/")
        await call(ws, action="show", route="missing/")
    (router, hit_scope, hit), (_, miss_scope, miss) = trace
    assert router is DeepConsumer.action_router
    assert (hit_scope["route"], hit_scope["action"]) == ("v2/e/", "show")
    assert hit.key == 5
    assert hit.inner.app.handler_class is Echo
    assert miss_scope["route"] == "missing/"
    assert miss is None


def plain_function(scope, receive, send):
    """Not a handler."""


def test_a_route_to_something_that_is_not_a_handler_fails_at_class_creation():
    with pytest.raises(ImproperlyConfigured, match="as_aaah"):

        class Broken(AsyncAPIConsumer):
            routepatterns = [path("x/", plain_function)]


def test_include_of_a_module_without_routes_names_the_module():
    with pytest.raises(ImproperlyConfigured, match="'tests.routing_modules.apps'"):
        include("tests.routing_modules.apps")


def test_two_methods_claiming_one_action_name_fail_at_class_creation():
    with pytest.raises(ImproperlyConfigured, match="'show'"):

        class Clash(AsyncAPIActionHandler):
            @async_action
            async def show(self):
                return None, 200

            @async_action(name="show")
            async def display(self):
                return None, 200


def test_async_action_refuses_unknown_modes_and_undeliverable_broadcast_types():
    with pytest.raises(ValueError, match="mode"):
        async_action(mode="shout")
    with pytest.raises(ValueError, match="underscore"):
        async_action(mode="broadcast", broadcast_type="_private.event")


async def test_action_name_can_differ_from_the_method_name():
    class Named(AsyncAPIActionHandler):
        @async_action(name="list")
        async def list_items(self):
            return ["a"], 200

    class NamedConsumer(AsyncAPIConsumer):
        routepatterns = [path("items/", Named.as_aaah())]

    async with open_socket(NamedConsumer.as_asgi()) as ws:
        assert (await call(ws, action="list", route="items/"))["data"] == ["a"]
        assert (await call(ws, action="list_items", route="items/"))["status"] == 405
