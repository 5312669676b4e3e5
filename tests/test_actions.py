"""AsyncAPIConsumer: routing an action by its route, replies, errors, sync and async actions."""

import datetime
import logging
import threading
from contextlib import asynccontextmanager

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.urls import path, re_path

from channels_admin.actions import (
    ActionError,
    AsyncActionHandler,
    AsyncAPIActionHandler,
    AsyncAPIConsumer,
    async_action,
)
from channels_admin.routing import URLRouter

# Channels closes stale database connections around every event, so consumers need the db.
pytestmark = pytest.mark.django_db(transaction=True)


@asynccontextmanager
async def open_socket(app, url="/ws/"):
    """A connected WebsocketCommunicator, disconnected on exit."""
    communicator = WebsocketCommunicator(app, url)
    connected, _ = await communicator.connect()
    assert connected
    try:
        yield communicator
    finally:
        await communicator.disconnect()


async def call(communicator, **frame):
    await communicator.send_json_to(frame)
    return await communicator.receive_json_from()


def routed(consumer, url="ws/<slug:room>/"):
    """The consumer behind a URLRouter, so the connection has url_route kwargs."""
    return URLRouter([path(url, consumer.as_asgi())])


class RoomHandler(AsyncAPIActionHandler):
    """Echoes what the routing handed it."""

    @async_action
    async def retrieve(self, **payload):
        return {
            "handler": type(self).__name__,
            "args": list(self.args),
            "kwargs": self.kwargs,
            "payload": payload,
            "scope_route": self.scope["route"],
            "url_route_kwargs": self.scope["url_route"]["kwargs"],
        }, 200


class OtherHandler(AsyncAPIActionHandler):
    @async_action
    async def retrieve(self, **payload):
        return {"handler": "other"}, 200


class Consumer(AsyncAPIConsumer):
    routepatterns = [
        path("rooms/<int:pk>/", RoomHandler.as_aaah()),
        path("rooms/<int:pk>/", OtherHandler.as_aaah()),
        re_path(r"^years/(?P<year>[0-9]{4})/$", RoomHandler.as_aaah()),
        re_path(r"^days/([0-9]+)/$", RoomHandler.as_aaah()),
    ]

    @async_action
    async def ping(self, **payload):
        return {"pong": payload, "kwargs": self.kwargs}, 200


async def test_action_is_routed_and_reply_has_the_rest_framework_channels_shape():
    async with open_socket(Consumer.as_asgi()) as ws:
        reply = await call(ws, action="retrieve", route="rooms/5/", colour="blue")
    assert reply == {
        "errors": [],
        "data": {
            "handler": "RoomHandler",
            "args": [],
            "kwargs": {"pk": 5},
            "payload": {"colour": "blue"},
            "scope_route": "rooms/5/",
            "url_route_kwargs": {"pk": 5},
        },
        "action": "retrieve",
        "route": "rooms/5/",
        "status": 200,
    }


async def test_converters_apply_and_a_failed_conversion_does_not_match():
    async with open_socket(Consumer.as_asgi()) as ws:
        assert (await call(ws, action="retrieve", route="/rooms/7/"))["data"]["kwargs"] == {
            "pk": 7
        }
        reply = await call(ws, action="retrieve", route="rooms/seven/")
    assert reply["status"] == 404
    assert reply["errors"] == [
        'No route matches "rooms/seven/", and the consumer has no action "retrieve".'
    ]


async def test_path_routes_are_endpoints_like_django_urls():
    async with open_socket(Consumer.as_asgi()) as ws:
        assert (await call(ws, action="retrieve", route="rooms/5/extra/"))["status"] == 404


async def test_re_path_named_groups_are_kwargs_and_unnamed_groups_args():
    async with open_socket(Consumer.as_asgi()) as ws:
        named = await call(ws, action="retrieve", route="years/2024/")
        positional = await call(ws, action="retrieve", route="days/12/")
        too_long = await call(ws, action="retrieve", route="years/20245/")
    assert named["data"]["kwargs"] == {"year": "2024"}
    assert positional["data"]["args"] == ["12"]
    assert too_long["status"] == 404


async def test_frame_without_route_or_with_unmatched_route_goes_to_consumer_actions():
    async with open_socket(routed(Consumer), "/ws/lobby/") as ws:
        no_route = await call(ws, action="ping", text="hi")
        unmatched = await call(ws, action="ping", route="nowhere/")
    assert no_route["data"] == {"pong": {"text": "hi"}, "kwargs": {"room": "lobby"}}
    assert no_route["route"] == ""
    assert unmatched["status"] == 200
    assert unmatched["route"] == "nowhere/"


async def test_connection_url_kwargs_accumulate_into_the_handler_kwargs():
    async with open_socket(routed(Consumer), "/ws/lobby/") as ws:
        reply = await call(ws, action="retrieve", route="rooms/3/")
    assert reply["data"]["kwargs"] == {"room": "lobby", "pk": 3}


async def test_request_id_is_echoed_only_when_sent():
    async with open_socket(Consumer.as_asgi()) as ws:
        with_id = await call(ws, action="ping", request_id="abc-1")
        without = await call(ws, action="ping")
        error = await call(ws, action="nope", request_id=42)
    assert with_id["request_id"] == "abc-1"
    assert "request_id" not in without
    assert error["request_id"] == 42
    assert error["status"] == 405


class ThreadHandler(AsyncActionHandler):
    @async_action
    def sync_action(self):
        return {"thread": threading.get_ident(), "users": User.objects.count()}, 200

    @async_action
    async def async_action(self):
        return {"thread": threading.get_ident()}, 200


class ThreadConsumer(AsyncAPIConsumer):
    routepatterns = [path("threads/", ThreadHandler.as_aaah())]


async def test_sync_actions_run_in_a_worker_thread_and_may_use_the_orm():
    await User.objects.acreate(username="ann")
    loop_thread = threading.get_ident()
    async with open_socket(ThreadConsumer.as_asgi()) as ws:
        sync = await call(ws, action="sync_action", route="threads/")
        async_ = await call(ws, action="async_action", route="threads/")
    assert sync["status"] == 200
    assert sync["data"]["users"] == 1
    assert sync["data"]["thread"] != loop_thread
    assert async_["data"]["thread"] == loop_thread


class CountingHandler(AsyncActionHandler):
    calls = 0
    label = "default"

    @async_action
    async def count(self):
        self.calls += 1
        return {"calls": self.calls, "label": self.label}, 200


class InitKwargsConsumer(AsyncAPIConsumer):
    routepatterns = [
        path("plain/", CountingHandler.as_aaah()),
        path("labelled/", CountingHandler.as_aaah(label="custom")),
    ]


async def test_as_aaah_makes_a_fresh_handler_per_frame_with_its_initkwargs():
    async with open_socket(InitKwargsConsumer.as_asgi()) as ws:
        first = await call(ws, action="count", route="plain/")
        second = await call(ws, action="count", route="plain/")
        labelled = await call(ws, action="count", route="labelled/")
    assert first["data"] == second["data"] == {"calls": 1, "label": "default"}
    assert labelled["data"] == {"calls": 1, "label": "custom"}


def test_as_aaah_refuses_initkwargs_that_are_not_attributes():
    with pytest.raises(TypeError, match="colour"):
        CountingHandler.as_aaah(colour="red")


class FailingHandler(AsyncAPIActionHandler):
    @async_action
    async def explode(self):
        raise RuntimeError("database password is hunter2")

    @async_action
    def explode_in_thread(self):
        raise KeyError("secret-key")

    @async_action
    async def no_tuple(self):
        return {"forgot": "status"}

    @async_action
    async def unserializable(self):
        return {"value": object()}, 200

    @async_action
    async def dated(self):
        return {"when": datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.UTC)}, 200

    @async_action
    async def missing(self):
        raise ObjectDoesNotExist("Room matching query does not exist.")

    @async_action
    async def invalid(self):
        raise ValidationError(["too short", "too plain"])

    @async_action
    async def forbidden(self):
        raise PermissionDenied("Only owners may do that.")

    @async_action
    async def teapot(self):
        raise ActionError(418, "I'm a teapot.")

    @async_action
    async def needs_text(self, text, repeat=1):
        return text * repeat, 200

    @async_action(mode="none")
    async def silent(self):
        return {"ignored": True}, 200


class FailingConsumer(AsyncAPIConsumer):
    routepatterns = [path("fail/", FailingHandler.as_aaah())]

    @async_action
    async def ping(self):
        return "pong", 200


@pytest.mark.parametrize("action", ["explode", "explode_in_thread"])
async def test_exception_in_action_replies_500_and_logs_the_traceback(action, caplog):
    caplog.set_level(logging.ERROR, logger="channels_admin.actions")
    async with open_socket(FailingConsumer.as_asgi()) as ws:
        await ws.send_json_to({"action": action, "route": "fail/"})
        raw = await ws.receive_from()
        after = await call(ws, action="ping")
    assert "hunter2" not in raw and "secret-key" not in raw
    assert '"status": 500' in raw and '"errors": ["Internal server error."]' in raw
    assert after["data"] == "pong"
    record = next(r for r in caplog.records if r.name == "channels_admin.actions")
    assert record.exc_info is not None
    assert action in record.getMessage()
    assert "hunter2" in caplog.text or "secret-key" in caplog.text


async def test_an_action_that_does_not_return_data_and_status_is_a_logged_500(caplog):
    async with open_socket(FailingConsumer.as_asgi()) as ws:
        reply = await call(ws, action="no_tuple", route="fail/")
    assert reply["status"] == 500
    assert "returns (data, status)" in caplog.text


async def test_unserializable_data_is_a_500_and_dates_serialize():
    async with open_socket(FailingConsumer.as_asgi()) as ws:
        bad = await call(ws, action="unserializable", route="fail/")
        dated = await call(ws, action="dated", route="fail/")
    assert bad["status"] == 500
    assert dated["data"] == {"when": "2024-05-01T12:30:00Z"}


async def test_django_exceptions_and_action_error_become_statuses():
    async with open_socket(FailingConsumer.as_asgi()) as ws:
        missing = await call(ws, action="missing", route="fail/")
        invalid = await call(ws, action="invalid", route="fail/")
        forbidden = await call(ws, action="forbidden", route="fail/")
        teapot = await call(ws, action="teapot", route="fail/")
    assert (missing["status"], missing["errors"]) == (404, ["Not found."])
    assert (invalid["status"], invalid["errors"]) == (400, ["too short", "too plain"])
    assert (forbidden["status"], forbidden["errors"]) == (403, ["Only owners may do that."])
    assert (teapot["status"], teapot["errors"]) == (418, ["I'm a teapot."])


async def test_unknown_action_replies_405_naming_it_and_the_allowed_ones():
    async with open_socket(FailingConsumer.as_asgi()) as ws:
        reply = await call(ws, action="destroy", route="fail/")
        after = await call(ws, action="ping")
    assert reply["status"] == 405
    assert reply["action"] == "destroy"
    assert 'Action "destroy" is not allowed here' in reply["errors"][0]
    assert "needs_text" in reply["errors"][0]
    assert after["status"] == 200


async def test_payload_that_does_not_fit_the_action_signature_is_a_400():
    async with open_socket(FailingConsumer.as_asgi()) as ws:
        missing = await call(ws, action="needs_text", route="fail/")
        unexpected = await call(ws, action="needs_text", route="fail/", text="a", colour=1)
        fine = await call(ws, action="needs_text", route="fail/", text="ab", repeat=2)
    assert missing["status"] == 400
    assert "text" in missing["errors"][0]
    assert unexpected["status"] == 400
    assert "colour" in unexpected["errors"][0]
    assert fine["data"] == "abab"


async def test_mode_none_sends_nothing():
    async with open_socket(FailingConsumer.as_asgi()) as ws:
        await ws.send_json_to({"action": "silent", "route": "fail/"})
        reply = await call(ws, action="ping")
    assert reply["data"] == "pong"
