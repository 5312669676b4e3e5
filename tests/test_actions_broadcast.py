"""Broadcast actions: the result reaches every member of the group the route kwarg names."""

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import override_settings
from django.urls import path

from channels_admin.actions import AsyncAPIActionHandler, AsyncAPIConsumer, async_action
from tests.test_actions import call, open_socket, routed

pytestmark = pytest.mark.django_db(transaction=True)


class Shout(AsyncAPIActionHandler):
    @async_action(mode="broadcast")
    async def shout(self, text):
        return {"said": text, "room": self.kwargs["room"]}, 200

    @async_action(mode="broadcast", send_response_in_broadcast=False)
    async def whisper(self, text):
        return {"whispered": text}, 200

    @async_action(mode="broadcast", broadcast_type="room.event")
    async def event(self):
        return "custom", 200


class RoomConsumer(AsyncAPIConsumer):
    group_send_lookup_kwargs = "room"
    routepatterns = [path("shout/", Shout.as_aaah())]

    @async_action
    async def ping(self):
        return "pong", 200

    async def room_event(self, event):
        await self.send_json({"custom": event["data"]})


app = routed(RoomConsumer, "ws/rooms/<str:room>/")


async def test_broadcast_reaches_the_other_members_of_the_group_only():
    async with (
        open_socket(app, "/ws/rooms/red/") as alice,
        open_socket(app, "/ws/rooms/red/") as bob,
        open_socket(app, "/ws/rooms/blue/") as carol,
    ):
        reply = await call(alice, action="shout", route="shout/", text="hi", request_id=7)
        said = {"said": "hi", "room": "red"}
        assert reply == {
            "errors": [],
            "data": said,
            "action": "shout",
            "route": "shout/",
            "status": 200,
            "request_id": 7,
        }
        broadcast = {"data": said, "status": 200}  # rest_framework_channels' event, less type
        assert await alice.receive_json_from() == broadcast
        assert await bob.receive_json_from() == broadcast
        assert (await call(carol, action="ping"))["data"] == "pong"
        assert await carol.receive_nothing()


async def test_send_response_in_broadcast_false_sends_only_the_broadcast():
    async with open_socket(app, "/ws/rooms/red/") as alice:
        await alice.send_json_to({"action": "whisper", "route": "shout/", "text": "psst"})
        frame = await alice.receive_json_from()
        assert frame["data"] == {"whispered": "psst"}
        assert "request_id" not in frame
        assert (await call(alice, action="ping"))["data"] == "pong"


async def test_a_custom_broadcast_type_reaches_the_consumers_handler():
    async with open_socket(app, "/ws/rooms/red/") as alice:
        assert (await call(alice, action="event", route="shout/"))["data"] == "custom"
        assert await alice.receive_json_from() == {"custom": "custom"}


async def test_a_connection_leaves_its_group_when_it_disconnects():
    layer = get_channel_layer()
    async with open_socket(app, "/ws/rooms/leaving/"):
        assert len(layer.groups["leaving"]) == 1
    assert "leaving" not in layer.groups


async def test_a_url_kwarg_that_cannot_be_a_group_name_closes_with_4400():
    communicator = WebsocketCommunicator(app, "/ws/rooms/not%20a%20group/")
    assert (await communicator.connect())[0]
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 4400}
    await communicator.disconnect()


class Unconfigured(AsyncAPIConsumer):
    routepatterns = [path("shout/", Shout.as_aaah())]


async def test_broadcast_without_group_send_lookup_kwargs_is_a_logged_500(caplog):
    async with open_socket(Unconfigured.as_asgi()) as ws:
        reply = await call(ws, action="shout", route="shout/", text="hi")
    assert reply["status"] == 500
    assert "group_send_lookup_kwargs" in caplog.text


@pytest.mark.redis
async def test_broadcast_over_channels_redis(redis_client, redis_url):
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url]},
        }
    }
    with override_settings(CHANNEL_LAYERS=layers):
        async with (
            open_socket(app, "/ws/rooms/redis-room/") as alice,
            open_socket(app, "/ws/rooms/redis-room/") as bob,
        ):
            await call(alice, action="shout", route="shout/", text="over redis")
            assert (await bob.receive_json_from(timeout=5))["data"]["said"] == "over redis"
            assert redis_client.exists("asgi:group:redis-room")
