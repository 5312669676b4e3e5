"""Refusals: who closed a WebSocket before accepting it, as the recorder tells it."""

import json

import pytest
from channels.generic.websocket import AsyncWebsocketConsumer, WebsocketConsumer
from channels.security.websocket import AllowedHostsOriginValidator, OriginValidator
from channels.testing import WebsocketCommunicator
from django.test import override_settings
from django.urls import path

from channels_admin.introspection import explain
from channels_admin.middleware import RoutingRecorderMiddleware
from channels_admin.recorder import recording
from channels_admin.routing import ProtocolTypeRouter, URLRouter


class Echo(AsyncWebsocketConsumer):
    async def connect(self):
        await self.accept()


class Refuses(AsyncWebsocketConsumer):
    async def connect(self):
        await self.close(code=4003)


class SyncRefuses(WebsocketConsumer):
    def connect(self):
        self.close(code=4004)


class Bouncer:
    """A user's middleware that closes every handshake before the app below it runs."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        await receive()
        await send({"type": "websocket.close", "code": 4001})


class Passthrough:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        return await self.inner(scope, receive, send)


def application():
    return RoutingRecorderMiddleware(
        ProtocolTypeRouter(
            {
                "websocket": URLRouter(
                    [
                        path("echo/", AllowedHostsOriginValidator(Echo.as_asgi())),
                        path("refuses/", Passthrough(Refuses.as_asgi())),
                        path("sync-refuses/", SyncRefuses.as_asgi()),
                        path("bounced/", Passthrough(Bouncer(Echo.as_asgi()))),
                        path(
                            "guarded/",
                            OriginValidator(
                                URLRouter([path("room/", Echo.as_asgi())]), ["good.example"]
                            ),
                        ),
                    ]
                )
            }
        )
    )


@pytest.fixture
def registry(registry):
    yield registry
    assert recording.by_channel == {}


async def closed_record(registry, path, origin=b"http://evil.example"):
    headers = [(b"origin", origin), (b"host", b"testserver")]
    communicator = WebsocketCommunicator(application(), path, headers=headers)
    connected, code = await communicator.connect()
    assert not connected
    await communicator.send_input({"type": "websocket.disconnect", "code": 1006})  # as daphne
    await communicator.wait()
    record = (await registry.connections(live=False))["connections"][0]
    json.dumps(record)
    return record, code


@override_settings(ALLOWED_HOSTS=["testserver"])
async def test_origin_validator_refusal_names_the_middleware_not_the_consumer(registry):
    record, _ = await closed_record(registry, "/echo/")
    assert record["outcome"] == "refused" and record["consumer"] is None
    assert record["refused_by"] == "channels.security.websocket.OriginValidator"
    assert record["state"] == "rejected" and record["status"] == 403
    assert record["refusal"] == (
        "Refused by OriginValidator before the consumer ran: origin http://evil.example is "
        "not allowed; the client saw HTTP 403."
    )
    last = record["trace"][-1]
    assert last["kind"] == "refusal" and last["router"] == record["refused_by"]
    decision = (await registry.decisions(problems=True))["decisions"][0]
    assert decision["outcome"] == "refused" and decision["refusal"] == record["refusal"]
    assert (await registry.summary())["outcomes"] == {"refused": 1}


@override_settings(ALLOWED_HOSTS=["testserver"])
async def test_an_allowed_origin_is_a_plain_hit(registry):
    communicator = WebsocketCommunicator(
        application(), "/echo/", headers=[(b"origin", b"http://testserver")]
    )
    assert (await communicator.connect())[0]
    record = (await registry.connections())["connections"][0]
    assert record["outcome"] == "hit" and record["refused_by"] is None
    assert record["refusal"] is None and record["trace"][-1]["kind"] == "url_router"
    await communicator.disconnect()
    assert (await registry.decisions(problems=True))["total"] == 0


async def test_origin_validator_above_a_router_that_never_ran(registry):
    record, _ = await closed_record(registry, "/guarded/room/")
    assert record["outcome"] == "refused" and record["consumer"] is None
    assert record["refused_by"] == "channels.security.websocket.OriginValidator"


async def test_user_middleware_that_closes_is_named(registry):
    record, code = await closed_record(registry, "/bounced/")
    assert code == 4001
    assert record["outcome"] == "refused" and record["refused_by"] == "tests.test_refusals.Bouncer"
    assert record["refusal"].startswith("Refused by Bouncer before the consumer ran")


@pytest.mark.parametrize(
    "url, consumer, code",
    [
        ("/refuses/", "tests.test_refusals.Refuses", 4003),
        ("/sync-refuses/", "tests.test_refusals.SyncRefuses", 4004),
    ],
)
async def test_consumer_closing_in_connect_stays_a_hit_and_is_a_problem(
    registry, url, consumer, code
):
    record, _ = await closed_record(registry, url)
    assert record["outcome"] == "hit", record["error"]
    assert record["consumer"] == consumer
    assert record["refused_by"] == consumer and record["close_code"] == code
    assert record["refusal"] == (
        f"Refused by {consumer.rpartition('.')[2]} in connect(): it closed the handshake "
        f"(close code {code}) before accepting; the client saw HTTP 403."
    )
    problems = (await registry.decisions(problems=True))["decisions"]
    assert [decision["refused_by"] for decision in problems] == [consumer]


async def test_accept_then_close_is_not_a_refusal(registry):
    communicator = WebsocketCommunicator(
        RoutingRecorderMiddleware(URLRouter([path("ok/", Echo.as_asgi())])), "/ok/"
    )
    assert (await communicator.connect())[0]
    await communicator.disconnect()
    record = (await registry.connections(live=False))["connections"][0]
    assert record["refused_by"] is None and record["outcome"] == "hit"


@pytest.mark.parametrize("url", ["/echo/", "/guarded/room/", "/bounced/", "/refuses/"])
async def test_a_refusal_never_contradicts_the_dry_run(registry, url):
    """The refusing application is on the path explain() walks, and a consumer's own refusal
    is recorded for the consumer explain() names."""
    record, _ = await closed_record(registry, url)
    result = explain(application(), {"type": "websocket", "path": url})
    assert result["matched"] is True
    assert record["refused_by"].rpartition(".")[2] in result["chain"]
    if record["outcome"] == "hit":
        assert record["consumer"] == result["consumer"] == record["refused_by"]
    else:
        assert record["outcome"] == "refused" and record["consumer"] is None


async def test_a_channels1_miss_is_refused_by_the_message_router_and_stays_a_miss(registry):
    from tests.test_introspection_messages import application as message_routing

    app = RoutingRecorderMiddleware(message_routing())
    communicator = WebsocketCommunicator(app, "/site/nope/")
    assert await communicator.connect() == (False, 4404)
    await communicator.wait()
    record = (await registry.connections(live=False))["connections"][0]
    assert record["outcome"] == "miss" and record["consumer"] is None
    assert record["refused_by"] == "channels_admin.routing.messages.MessageRouter"
    assert record["refusal"] == (
        "Refused by MessageRouter: no route took the connection (close code 4404); "
        "the client saw HTTP 403."
    )
