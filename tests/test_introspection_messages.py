"""Channels 1 routing in describe(), explain(), the recorder and channels_routes."""

import asyncio
import json
import time
from io import StringIO

import pytest
from channels.testing import ApplicationCommunicator, HttpCommunicator, WebsocketCommunicator
from django.core.management import call_command
from django.urls import path, re_path

from channels_admin.generic import WebsocketConsumer, WebsocketDemultiplexer
from channels_admin.generic.sessions import channel_session
from channels_admin.introspection import describe, explain
from channels_admin.middleware import RoutingRecorderMiddleware
from channels_admin.routing import (
    ChannelNameRouter,
    MessageRouter,
    ProtocolTypeRouter,
    URLRouter,
    include,
    route,
    route_class,
)

#: Names of the consumers that ran, in order: dispatch's answer, to compare with explain().
ran = []


def accept(message, **kwargs):
    ran.append(("accept", kwargs))
    message.reply_channel.send({"accept": True})


@channel_session
def join(message, room, **kwargs):
    ran.append(("join", {"room": room, **kwargs}))
    message.reply_channel.send({"accept": True})


def page(message, **kwargs):
    ran.append(("page", kwargs))
    message.reply_channel.send({"status": 200, "content": b"page"})


def urgent(message, **kwargs):
    ran.append(("urgent", kwargs))


def anything(message, **kwargs):
    ran.append(("anything", kwargs))


class Echo(WebsocketConsumer):
    groups = ["echoes"]

    def receive(self, text=None, bytes=None, **kwargs):
        self.send(text=text)


class Streams(WebsocketDemultiplexer):
    consumers = {"echo": Echo}


routing = [
    route("http.request", page, path=r"^/site/"),
    include(
        [
            include([route("websocket.connect", join, path=r"^(?P<room>\w+)/$")], path=r"^rooms/"),
            route("websocket.connect", accept, path=r"^hello/$"),
        ],
        path=r"^/site/",
    ),
    route_class(Streams, path=r"^/streams/$"),
]
legacy = MessageRouter(routing)


def application():
    return ProtocolTypeRouter(
        {
            "websocket": URLRouter(
                [
                    path("echo/<slug:tag>/", Echo.as_asgi(groups=["tagged"])),
                    re_path(r"^(?P<site>site|streams)/", legacy),
                ]
            ),
            "http": legacy,
            "channel": ChannelNameRouter(
                {
                    "jobs": MessageRouter(
                        [
                            route("jobs", urgent, priority=r"^(?P<level>high|urgent)$"),
                            route("jobs", anything),
                        ]
                    )
                }
            ),
        }
    )


@pytest.fixture
def registry(registry):
    ran.clear()
    return registry


def test_describe_lists_routes_with_channels_filters_and_nested_includes():
    tree = describe(legacy)
    json.dumps(tree)
    assert tree["kind"] == "message_router"
    assert tree["channels"] == [
        "http.request",
        "websocket.connect",
        "websocket.disconnect",
        "websocket.receive",
    ]
    first, site, streams = tree["children"]
    assert first["kind"] == "consumer" and first["route"] == "route"
    assert first["consumer"] == "tests.test_introspection_messages.page"
    assert first["channels"] == ["http.request"] and first["filters"] == {"path": "^/site/"}
    assert site["kind"] == "message_include" and site["filters"] == {"path": "^/site/"}
    rooms, hello = site["children"]
    assert rooms["kind"] == "message_include" and rooms["filters"] == {"path": "^rooms/"}
    joined = rooms["children"][0]
    # the decorated function is named and located by its own definition
    assert joined["consumer"] == "tests.test_introspection_messages.join"
    assert joined["source"]["line"] == join.__wrapped__.__code__.co_firstlineno
    assert joined["filters"] == {"path": r"^(?P<room>\w+)/$"}
    assert hello["consumer"] == "tests.test_introspection_messages.accept"
    assert streams["route"] == "route_class"
    assert streams["consumer"] == "tests.test_introspection_messages.Streams"
    assert streams["channels"] == [
        "websocket.connect",
        "websocket.disconnect",
        "websocket.receive",
    ]
    assert [(child["key"], child["consumer"]) for child in streams["children"]] == [
        ("echo", "tests.test_introspection_messages.Echo")
    ]


def test_describe_generic_consumer_as_asgi_is_a_consumer_leaf_with_its_initkwargs():
    echo = describe(application())["children"][0]["children"][0]
    assert echo["kind"] == "consumer" and echo["pattern"] == "echo/<slug:tag>/"
    assert echo["consumer"] == "tests.test_introspection_messages.Echo"
    assert echo["initkwargs"] == {"groups": ["tagged"]}
    assert echo["channels"] == ["websocket.connect", "websocket.disconnect", "websocket.receive"]


@pytest.mark.parametrize(
    "url, consumer, kwargs",
    [
        ("/site/rooms/lobby/", "join", {"site": "site", "room": "lobby"}),
        ("/site/hello/", "accept", {"site": "site"}),
        ("/site/rooms/a/b/", None, None),
        ("/streams/", "Streams", {"site": "streams"}),
    ],
)
async def test_explain_names_the_consumer_dispatch_runs(registry, url, consumer, kwargs):
    result = explain(application(), {"type": "websocket", "path": url})
    communicator = WebsocketCommunicator(application(), url)
    accepted, code = await communicator.connect()
    if consumer is None:
        assert not result["matched"] and result["consumer"] is None
        assert (accepted, code) == (False, 4404)
        assert "rejected with close code 4404" in result["error"]
        return
    assert accepted
    await communicator.disconnect()
    assert result["matched"]
    assert result["consumer"] == f"tests.test_introspection_messages.{consumer}"
    assert result["kwargs"] == kwargs
    if consumer != "Streams":  # a class consumer's instance does not report itself
        assert ran == [(consumer, kwargs)]
    assert result["chain"][-2:] == ["MessageRouter", consumer]


def test_explain_says_why_each_route_was_passed_over():
    result = explain(application(), {"type": "websocket", "path": "/site/rooms/a/b/"})
    step = result["steps"][-1]
    assert step["kind"] == "message_router" and step["value"] == "websocket.connect"
    first, site, streams = step["candidates"]
    assert first["reason"] == "channel name not listened to"
    assert first["detail"] == "listens on http.request"
    assert site["reason"] == "nested miss"
    inner = site["nested"][0]
    assert inner["label"] == "include" and inner["stripped"] == {"path": "rooms/a/b/"}
    rooms = inner["candidates"][0]
    assert rooms["reason"] == "nested miss"
    assert rooms["nested"][0]["stripped"] == {"path": "a/b/"}
    assert rooms["nested"][0]["candidates"][0]["detail"] == (
        r"path: '^(?P<room>\\w+)/$' did not match 'a/b/'"
    )
    assert inner["candidates"][1]["detail"] == "path: '^hello/$' did not match 'rooms/a/b/'"
    assert streams["reason"] == "filter did not match"


async def test_explain_http_and_channel_scopes(registry):
    result = explain(application(), {"type": "http", "path": "/site/x"})
    assert result["consumer"] == "tests.test_introspection_messages.page"
    assert explain(application(), {"type": "http", "path": "/other"})["error"].endswith(
        "a 404 response."
    )
    response = await HttpCommunicator(application(), "GET", "/site/x").get_response()
    assert response["status"] == 200 and ran == [("page", {})]

    jobs = {"type": "channel", "channel": "jobs"}
    assert explain(application(), jobs)["consumer"].endswith(".anything")
    missing = explain(application(), jobs)["steps"][-1]["candidates"][0]
    assert missing["detail"] == "the message has no 'priority'"
    high = explain(application(), {**jobs, "content": {"priority": "high"}})
    assert high["consumer"].endswith(".urgent") and high["kwargs"] == {"level": "high"}
    low = explain(application(), {**jobs, "content": {"priority": "low"}})
    assert low["steps"][-1]["candidates"][0]["detail"] == (
        "priority: '^(?P<level>high|urgent)$' did not match 'low'"
    )


async def test_explain_generic_consumer_as_asgi_names_the_class_not_its_route_subclass():
    result = explain(application(), {"path": "/echo/x/"})
    assert result["consumer"] == "tests.test_introspection_messages.Echo"
    assert result["kwargs"] == {"tag": "x"}
    as_http = explain(URLRouter([path("e/", Echo.as_asgi())]), {"type": "http", "path": "/e/"})
    assert not as_http["matched"]
    assert as_http["steps"][-1]["candidates"][0]["reason"] == "channel name not listened to"


async def wait_for(condition, what, timeout=5):
    deadline = time.monotonic() + timeout
    while not (result := await condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)
    return result


async def test_recorder_names_the_channels1_consumer_that_took_the_connect(registry):
    app = RoutingRecorderMiddleware(application())
    communicator = WebsocketCommunicator(app, "/site/rooms/lobby/")
    assert (await communicator.connect())[0]
    live = (await registry.connections())["connections"][0]
    assert live["consumer"] == "tests.test_introspection_messages.join"
    assert live["kwargs"] == {"site": "site", "room": "lobby"}
    assert live["outcome"] == "hit" and live["state"] == "accepted"
    assert live["channel_name"]
    assert [step["label"] for step in live["trace"]] == [
        "ProtocolTypeRouter",
        "URLRouter",
        "MessageRouter",
    ]
    assert live["trace"][-1]["matched"] == 1
    assert live["trace"][-1]["candidates"][1]["nested"][0]["stripped"] == {"path": "rooms/lobby/"}
    decision = (await registry.decisions())["decisions"][0]
    assert decision["consumer"] == live["consumer"] and decision["steps"] == live["trace"]
    await communicator.send_to(text_data="not routed")  # no websocket.receive route: dropped
    await communicator.disconnect()
    closed = (await registry.connections(live=False))["connections"][0]
    assert closed["consumer"] == live["consumer"] and len(closed["trace"]) == 3


async def test_recorder_records_a_channels1_miss_and_a_generic_consumer(registry):
    app = RoutingRecorderMiddleware(application())
    communicator = WebsocketCommunicator(app, "/site/nope/")
    assert await communicator.connect() == (False, 4404)
    await communicator.wait()
    missed = (await registry.connections(live=False))["connections"][0]
    assert missed["outcome"] == "miss" and missed["consumer"] is None
    assert missed["state"] == "rejected" and missed["close_code"] == 4404
    assert "4404" in missed["trace"][-1]["error"]

    communicator = WebsocketCommunicator(app, "/echo/blue/")
    assert (await communicator.connect())[0]
    live = (await registry.connections())["connections"][0]
    assert live["consumer"] == "tests.test_introspection_messages.Echo"
    assert live["kwargs"] == {"tag": "blue"} and live["groups"] == ["tagged"]
    await communicator.send_to(text_data="hi")
    assert await communicator.receive_from() == "hi"
    await communicator.disconnect()


async def test_recorder_names_the_consumer_of_a_workers_first_message(registry):
    app = RoutingRecorderMiddleware(application())
    worker = ApplicationCommunicator(app, {"type": "channel", "channel": "jobs"})
    await worker.send_input({"type": "jobs", "priority": "urgent"})

    async def decided():
        page = await registry.connections(type="channel")
        record = page["connections"][0] if page["total"] else {}
        return record if record.get("outcome") else None

    record = await wait_for(decided, "the worker's decision")  # at its next receive()
    assert ran == [("urgent", {"level": "urgent"})]
    assert record["consumer"] == "tests.test_introspection_messages.urgent"
    assert record["kwargs"] == {"level": "urgent"}
    assert record["trace"][-1]["candidates"] == [
        {
            "matched": True,
            "index": 0,
            "pattern": "route('jobs', tests.test_introspection_messages.urgent, "
            "priority='^(?P<level>high|urgent)$')",
            "consumer": "tests.test_introspection_messages.urgent",
        }
    ]
    await worker.send_input({"type": "jobs", "priority": "low"})

    async def second_ran():
        return len(ran) == 2

    await wait_for(second_ran, "the second message")
    record = (await registry.connections(type="channel"))["connections"][0]
    assert record["consumer"].endswith(".urgent") and record["messages_in"] == 2
    worker.stop()


def run_command(*args):
    out = StringIO()
    call_command("channels_routes", *args, stdout=out)
    return out.getvalue()


def test_channels_routes_shows_the_example_legacy_routes():
    lines = run_command().splitlines()
    start = lines.index("    ^ws/legacy/  MessageRouter")
    room = r"(?P<room>[-a-zA-Z0-9_]{1,50})"
    assert lines[start + 1] == rf"      path='^/ws/legacy/chat/{room}/$'  include"
    assert lines[start + 2].startswith(
        "        websocket.connect  legacy.consumers.chat_connect  [example_project/legacy/"
    )
    assert lines[start + 3].startswith("        websocket.receive  legacy.consumers.chat_message")
    assert lines[start + 5].startswith(
        "      websocket.connect|websocket.disconnect|websocket.receive "
        "path='^/ws/legacy/streams/$'  legacy.consumers.Streams  ["
    )
    assert lines[start + 6].startswith("        [echo]  legacy.consumers.EchoStream  [")


def test_channels_routes_resolves_into_the_legacy_routes():
    text = run_command("--resolve", "/ws/legacy/chat/lobby/")
    lines = text.splitlines()
    assert lines[0] == (
        "websocket /ws/legacy/chat/lobby/ -> legacy.consumers.chat_connect  "
        "kwargs={'room': 'lobby'}"
    )
    start = lines.index("  MessageRouter looked at channel='websocket.connect'")
    assert lines[start + 1 :] == [
        r"    + [0] include(<3 routes>, path='^/ws/legacy/chat/(?P<room>[-a-zA-Z0-9_]{1,50})/$')",
        "      include looked at channel='websocket.connect'  (include stripped its match: "
        "path left '')",
        "        + [0] route('websocket.connect', legacy.consumers.chat_connect)",
    ]
    out = StringIO()
    with pytest.raises(Exception, match="No application would take websocket"):
        call_command("channels_routes", "--resolve", "/ws/legacy/x/", stdout=out)
    assert "rejected with close code 4404" in out.getvalue()
    assert "raises" not in out.getvalue().split("MessageRouter looked at")[1]
