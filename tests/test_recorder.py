"""RoutingRecorderMiddleware with real consumers, the in-memory layer and communicators."""

import json
import logging

import pytest
from channels import routing as stock
from channels.consumer import AsyncConsumer
from channels.generic.websocket import AsyncWebsocketConsumer, WebsocketConsumer
from channels.layers import get_channel_layer
from channels.testing import ApplicationCommunicator, HttpCommunicator, WebsocketCommunicator
from django.contrib.auth.models import User
from django.test import override_settings
from django.urls import path

from channels_admin.middleware import RoutingRecorderMiddleware
from channels_admin.recorder import recording
from channels_admin.registry import close_connection, set_registry
from channels_admin.registry.memory import MemoryRegistry
from channels_admin.routing import ChannelNameRouter, ProtocolTypeRouter, RouteNotFound, URLRouter


class RoomConsumer(AsyncWebsocketConsumer):
    """A stock consumer: joins its room's group, echoes, leaves on disconnect."""

    async def connect(self):
        self.group = "room_" + self.scope["url_route"]["kwargs"]["room"]
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=text_data, bytes_data=bytes_data)


class SyncEcho(WebsocketConsumer):
    def receive(self, text_data=None, bytes_data=None):
        self.send(text_data=text_data)


class Broken(AsyncWebsocketConsumer):
    async def connect(self):
        raise RuntimeError("consumer bug")


class Reject(AsyncWebsocketConsumer):
    async def connect(self):
        await self.close(code=4003)


class UserMiddleware:
    """Inner middleware that sets scope["user"], as AuthMiddleware does."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        scope = dict(scope, user=User(username="alice"))
        return await self.inner(scope, receive, send)


async def hello(scope, receive, send):
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hello"})


def application():
    return RoutingRecorderMiddleware(
        ProtocolTypeRouter(
            {
                "http": hello,
                "websocket": UserMiddleware(
                    URLRouter(
                        [
                            path("rooms/<slug:room>/", RoomConsumer.as_asgi()),
                            path("sync/", SyncEcho.as_asgi()),
                            path("broken/", Broken.as_asgi()),
                            path("reject/", Reject.as_asgi()),
                        ]
                    )
                ),
            }
        )
    )


@pytest.fixture
def registry(registry):
    yield registry
    assert recording.by_channel == {}  # nothing of a closed connection stays behind


async def only_live(registry):
    page = await registry.connections()
    assert page["total"] == 1
    return page["connections"][0]


async def test_live_connection_shows_consumer_kwargs_groups_then_moves_to_closed(registry):
    communicator = WebsocketCommunicator(application(), "/rooms/lobby/")
    assert (await communicator.connect())[0]
    await communicator.send_to(text_data="héllo")
    assert await communicator.receive_from() == "héllo"

    live = await only_live(registry)
    json.dumps(live)
    assert live["state"] == "accepted" and live["type"] == "websocket"
    assert live["consumer"] == "tests.test_recorder.RoomConsumer"
    assert live["kwargs"] == {"room": "lobby"}
    assert live["groups"] == ["room_lobby"]
    assert live["channel_name"] and live["channel_layer"] == "default"
    assert live["user"] == "alice"
    assert (live["messages_in"], live["messages_out"]) == (1, 1)
    assert (live["bytes_in"], live["bytes_out"]) == (6, 6)  # UTF-8 bytes, not characters
    assert [step["label"] for step in live["trace"]] == ["ProtocolTypeRouter", "URLRouter"]
    assert live["trace"][1]["candidates"][-1] == {
        "matched": True,
        "index": 0,
        "pattern": "rooms/<slug:room>/",
    }
    assert (await registry.connections(group="room_lobby"))["total"] == 1

    await communicator.disconnect(code=4000)
    assert (await registry.connections())["total"] == 0
    closed = (await registry.connections(live=False))["connections"][0]
    assert closed["id"] == live["id"]
    assert closed["state"] == "closed" and closed["close_code"] == 4000
    assert closed["groups"] == [] and closed["groups_left"] == ["room_lobby"]
    assert closed["ended"] >= closed["started"]
    decision = (await registry.decisions())["decisions"][0]
    assert decision["outcome"] == "hit" and decision["connection"] == live["id"]


async def test_sync_consumer_is_attributed_too(registry):
    communicator = WebsocketCommunicator(application(), "/sync/")
    assert (await communicator.connect())[0]
    await communicator.send_to(text_data="x")
    assert await communicator.receive_from() == "x"
    live = await only_live(registry)
    assert live["consumer"] == "tests.test_recorder.SyncEcho" and live["channel_name"]
    await communicator.disconnect()


async def test_misses_are_recorded_with_the_steps_tried(registry):
    communicator = WebsocketCommunicator(application(), "/nowhere/")
    with pytest.raises(RouteNotFound):
        await communicator.connect()
    decision = (await registry.decisions(outcome="miss"))["decisions"][0]
    assert decision["path"] == "/nowhere/" and decision["consumer"] is None
    url_step = decision["steps"][1]
    assert url_step["raises"] == "RouteNotFound" and url_step["matched"] is None
    closed = (await registry.connections(live=False))["connections"][0]
    assert closed["outcome"] == "miss" and closed["state"] == "rejected"
    assert closed["error"].startswith("RouteNotFound: No route found for path '/nowhere/'")


async def test_rejection_and_consumer_errors(registry):
    communicator = WebsocketCommunicator(application(), "/reject/")
    assert await communicator.connect() == (False, 4003)
    await communicator.wait()
    closed = (await registry.connections(live=False))["connections"][0]
    assert closed["state"] == "rejected" and closed["close_code"] == 4003

    communicator = WebsocketCommunicator(application(), "/broken/")
    with pytest.raises(RuntimeError, match="consumer bug"):  # the app's error is not swallowed
        await communicator.connect()
    closed = (await registry.connections(live=False, path="broken"))["connections"][0]
    assert closed["outcome"] == "error" and closed["error"] == "RuntimeError: consumer bug"


async def test_headers_and_query_keys_are_redacted(registry):
    headers = [
        (b"Cookie", b"sessionid=s3cret"),
        (b"authorization", b"Bearer s3cret"),
        (b"user-agent", b"pytest"),
    ]
    url = "/rooms/a/?api_key=s3cret&Token=s3cret&page=2&passwordless=s3cret&sig"
    communicator = WebsocketCommunicator(application(), url, headers=headers)
    assert (await communicator.connect())[0]
    live = await only_live(registry)
    assert "s3cret" not in json.dumps(live)
    assert json.loads(json.dumps(live["headers"])) == [
        ["cookie", "[redacted]"],
        ["authorization", "[redacted]"],
        ["user-agent", "pytest"],
    ]
    assert live["query_string"] == (
        "api_key=[redacted]&Token=[redacted]&page=2&passwordless=[redacted]&sig"
    )
    await communicator.disconnect()


async def test_redaction_is_configurable(registry):
    settings = {
        "REDACT_HEADERS": ["user-agent"],
        "REDACT_WORDS": [],
        "REDACT_QUERY_KEYS": ["room"],
    }
    with override_settings(CHANNELS_ADMIN=settings):
        set_registry(registry)
        url = "/rooms/a/?room=1&token=2"
        communicator = WebsocketCommunicator(
            application(), url, headers=[(b"user-agent", b"x"), (b"cookie", b"c")]
        )
        assert (await communicator.connect())[0]
        live = await only_live(registry)
        await communicator.disconnect()
    assert [list(h) for h in live["headers"]] == [["user-agent", "[redacted]"], ["cookie", "c"]]
    assert live["query_string"] == "room=[redacted]&token=2"


async def test_group_changes_made_by_other_code_are_attributed_by_channel(registry):
    communicator = WebsocketCommunicator(application(), "/rooms/a/")
    assert (await communicator.connect())[0]
    live = await only_live(registry)
    layer = get_channel_layer()
    await layer.group_add("announcements", live["channel_name"])  # not from the consumer
    assert (await registry.get(live["id"]))["groups"] == ["room_a", "announcements"]
    await layer.group_discard("announcements", live["channel_name"])
    record = await registry.get(live["id"])
    assert record["groups"] == ["room_a"] and record["groups_left"] == ["announcements"]
    await communicator.disconnect()


async def test_dashboard_closes_a_live_connection_through_the_channel_layer(registry):
    communicator = WebsocketCommunicator(application(), "/rooms/a/")
    assert (await communicator.connect())[0]
    live = await only_live(registry)

    with pytest.raises(ValueError, match="3000 and 4999"):
        await close_connection(live["id"], code=1006)
    with pytest.raises(LookupError):
        await close_connection("no-such-id")

    await close_connection(live["id"], code=4321)
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 4321}
    await communicator.disconnect(code=4321)  # the server's answer to the close
    closed = await registry.get(live["id"])
    assert closed["state"] == "closed" and closed["closed_by"] == "admin"
    assert closed["close_code"] == 4321
    with pytest.raises(LookupError):
        await close_connection(live["id"])


async def test_close_message_never_reaches_the_consumer(registry):
    """Even for a channel no recorder knows, the control message is not dispatched."""
    layer = get_channel_layer()
    communicator = WebsocketCommunicator(application(), "/rooms/a/")
    assert (await communicator.connect())[0]
    live = await only_live(registry)
    recording.by_channel.pop(live["channel_name"])  # as if recorded elsewhere
    await layer.send(live["channel_name"], {"type": "channels_admin.close", "code": 4000})
    await communicator.send_to(text_data="still here")
    assert await communicator.receive_from() == "still here"
    await communicator.disconnect()


RECORD_FIELDS = [
    "id",
    "pid",
    "server",
    "type",
    "path",
    "query_string",
    "headers",
    "client",
    "session_hash",
    "user",
    "started",
    "last_activity",
    "ended",
    "state",
    "status",
    "close_code",
    "closed_by",
    "refused_by",
    "refusal",
    "error",
    "outcome",
    "nearest",
    "trace",
    "trace_source",
    "consumer",
    "kwargs",
    "args",
    "channel_name",
    "channel_layer",
    "groups",
    "groups_left",
    "group_changes",
    "messages_in",
    "messages_out",
    "bytes_in",
    "bytes_out",
    "action_statuses",
    "action_errors",
    "events",
]
DECISION_FIELDS = [
    "connection",
    "time",
    "type",
    "path",
    "outcome",
    "consumer",
    "kwargs",
    "error",
    "refused_by",
    "refusal",
    "nearest",
    "action",
    "route",
    "steps",
]


async def test_every_read_gives_the_complete_record_as_a_snapshot(registry):
    """The dashboard and the panel read dicts with every field, whichever method they call,
    and what they hold does not change under them (records are compact objects inside)."""
    communicator = WebsocketCommunicator(application(), "/rooms/lobby/?page=2")
    communicator.scope["client"] = ["10.0.0.1", 5000]
    assert (await communicator.connect())[0]
    await communicator.send_to(text_data="hi")
    assert await communicator.receive_from() == "hi"

    live = await registry.get((await only_live(registry))["id"])
    assert list(live) == RECORD_FIELDS
    json.dumps(live)
    assert live == (await registry.connections(live=None))["connections"][0]
    assert (
        live
        == (await registry.connections(group="room_lobby", order="-bytes_in"))["connections"][0]
    )
    assert (live["client"], live["query_string"], live["kwargs"]) == (
        "10.0.0.1:5000",
        "page=2",
        {"room": "lobby"},
    )

    await communicator.send_to(text_data="again")
    assert await communicator.receive_from() == "again"
    assert live["messages_in"] == 1  # a snapshot: counters as they were when read
    again = await registry.get(live["id"])
    assert again["messages_in"] == 2 and again["trace"] == live["trace"]

    await communicator.disconnect()
    closed = await registry.get(live["id"])
    assert list(closed) == RECORD_FIELDS and closed["state"] == "closed"
    assert closed["trace"] == again["trace"] and closed["kwargs"] == {"room": "lobby"}
    (decision,) = (await registry.decisions())["decisions"]
    assert list(decision) == DECISION_FIELDS
    json.dumps(decision)
    assert decision["steps"] == closed["trace"] and decision["kwargs"] == {"room": "lobby"}
    assert (decision["connection"], decision["time"]) == (closed["id"], closed["started"])


async def test_http_requests_are_recorded(registry):
    response = await HttpCommunicator(application(), "GET", "/hello/", body=b"abc").get_response()
    assert response["body"] == b"hello"
    closed = (await registry.connections(live=False, type="http"))["connections"][0]
    assert closed["status"] == 200 and closed["state"] == "closed"
    assert (closed["bytes_in"], closed["bytes_out"]) == (3, 5)
    assert closed["consumer"] == "tests.test_recorder.hello" and closed["outcome"] == "hit"


async def test_ignored_paths_and_disabled_recorder_pass_through(registry):
    with override_settings(CHANNELS_ADMIN={"IGNORE_PATHS": ["/rooms/"]}):
        set_registry(registry)
        communicator = WebsocketCommunicator(application(), "/rooms/a/")
        assert (await communicator.connect())[0]
        assert (await registry.connections())["total"] == 0
        await communicator.disconnect()
    with override_settings(CHANNELS_ADMIN={"ENABLED": False}):
        set_registry(registry)
        response = await HttpCommunicator(application(), "GET", "/").get_response()
        assert response["status"] == 200
    assert (await registry.summary())["decisions"] == 0


async def test_stock_routers_get_a_dry_run_trace(registry):
    app = RoutingRecorderMiddleware(
        stock.ProtocolTypeRouter(
            {"websocket": stock.URLRouter([path("rooms/<slug:room>/", RoomConsumer.as_asgi())])}
        )
    )
    communicator = WebsocketCommunicator(app, "/rooms/b/")
    assert (await communicator.connect())[0]
    live = await only_live(registry)
    assert live["trace_source"] == "dry-run"
    assert live["consumer"] == "tests.test_recorder.RoomConsumer"
    assert live["groups"] == ["room_b"] and live["trace"][1]["stock"] is True
    await communicator.disconnect()


class FailingRegistry(MemoryRegistry):
    """A registry whose every write fails, like a full store or Redis going away."""

    async def opened(self, record):
        raise ConnectionError("registry down")

    changed = closed = decided = opened


async def test_failing_registry_is_logged_once_and_never_breaks_connections(caplog, monkeypatch):
    monkeypatch.setattr(recording, "_reported", False)
    set_registry(FailingRegistry())
    try:
        with caplog.at_level(logging.DEBUG, logger="channels_admin.recorder"):
            for room in ("a", "b", "c"):
                communicator = WebsocketCommunicator(application(), f"/rooms/{room}/")
                assert (await communicator.connect())[0]
                await communicator.send_to(text_data="ping")
                assert await communicator.receive_from() == "ping"
                await communicator.disconnect()
            with pytest.raises(RouteNotFound):  # routing errors still reach the server
                await WebsocketCommunicator(application(), "/nowhere/").connect()
    finally:
        set_registry(None)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "registry down" in str(errors[0].exc_info[1])
    assert any(r.levelno == logging.DEBUG for r in caplog.records)
    assert recording.by_channel == {}


class Thumbnailer(AsyncConsumer):
    """A runworker-style consumer of a named channel."""

    async def thumbnails_generate(self, message):
        self.scope.setdefault("done", []).append(message["id"])


async def test_channel_scopes_are_recorded(registry):
    app = RoutingRecorderMiddleware(
        ProtocolTypeRouter({"channel": ChannelNameRouter({"thumbnails": Thumbnailer.as_asgi()})})
    )
    communicator = ApplicationCommunicator(app, {"type": "channel", "channel": "thumbnails"})
    await communicator.send_input({"type": "thumbnails.generate", "id": 1})
    await communicator.send_input({"type": "thumbnails.generate", "id": 2})
    await communicator.receive_nothing()
    live = await only_live(registry)
    assert live["type"] == "channel" and live["path"] == "thumbnails"
    assert live["consumer"] == "tests.test_recorder.Thumbnailer" and live["messages_in"] == 2
    step = live["trace"][1]
    assert step["looked_at"] == "channel" and step["matched"] == "thumbnails"
    communicator.stop()  # the worker shuts down: its task is cancelled
    await communicator.wait()
    closed = (await registry.connections(live=False))["connections"][0]
    assert closed["id"] == live["id"] and closed["state"] == "closed"
