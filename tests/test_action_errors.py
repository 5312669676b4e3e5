"""Action replies on the dashboard: counts by status, the last errors, and action misses
(404, 405) among the routing decisions."""

from channels.testing import WebsocketCommunicator

from channels_admin.middleware import RoutingRecorderMiddleware
from channels_admin.recorder.records import MAX_ACTION_ERRORS
from tests.test_actions import call, routed
from tests.test_introspection_actions import Api


async def live_record(registry):
    [record] = (await registry.connections())["connections"]
    return record


async def test_replies_are_counted_by_status_and_errors_kept_with_their_route(registry):
    communicator = WebsocketCommunicator(RoutingRecorderMiddleware(routed(Api)), "/ws/lobby/")
    assert (await communicator.connect())[0]
    assert (await call(communicator, action="ping"))["status"] == 200
    assert (await call(communicator, action="show", route="items/5/"))["status"] == 200
    record = await live_record(registry)
    assert record["action_statuses"] == {"200": 2} and record["action_errors"] == []
    assert (await registry.decisions(outcome="miss"))["total"] == 0

    assert (await call(communicator, action="show", route="items/x/"))["status"] == 404
    assert (await call(communicator, action="nope", route="items/5/"))["status"] == 405
    assert (await call(communicator, route="items/5/"))["status"] == 400
    record = await live_record(registry)
    assert record["action_statuses"] == {"200": 2, "404": 1, "405": 1, "400": 1}
    assert [(e["status"], e["action"], e["route"]) for e in record["action_errors"]] == [
        (404, "show", "items/x/"),
        (405, "nope", "items/5/"),
        (400, None, "items/5/"),
    ]
    assert "No route matches" in record["action_errors"][0]["error"]

    misses = (await registry.decisions(outcome="miss"))["decisions"]
    assert [(m["action"], m["route"]) for m in misses] == [
        ("nope", "items/5/"),
        ("show", "items/x/"),
    ]
    route_miss = misses[1]
    assert route_miss["connection"] == record["id"] and route_miss["error"].startswith("404: ")
    assert route_miss["nearest"] == {
        "pattern": "items/<int:pk>/",
        "hint": "'x' is not an int for <int:pk>",
    }
    await communicator.disconnect()


async def test_action_errors_are_bounded_and_made_only_when_an_action_fails(registry):
    communicator = WebsocketCommunicator(RoutingRecorderMiddleware(routed(Api)), "/ws/lobby/")
    assert (await communicator.connect())[0]
    recording = next(iter(registry.live.values()))
    assert recording.action_errors is None and recording.action_statuses is None
    await call(communicator, action="ping")
    assert recording.action_errors is None  # a success allocates no error list
    for number in range(MAX_ACTION_ERRORS + 5):
        await call(communicator, action=f"missing{number}")
    record = await live_record(registry)
    assert len(record["action_errors"]) == MAX_ACTION_ERRORS == 20
    assert record["action_errors"][-1]["action"] == f"missing{MAX_ACTION_ERRORS + 4}"
    assert record["action_statuses"] == {"200": 1, "405": MAX_ACTION_ERRORS + 5}
    await communicator.disconnect()
