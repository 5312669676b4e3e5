"""The Channels 1 chat of the example project on channels_redis, against a real redis-server."""

import json

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import override_settings
from legacy.consumers import room_group

from channels_admin.messages import Channel
from channels_admin.routing import MessageRouter, route
from tests.channel_worker import serve_one

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_layer(redis_client, redis_url):
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url]},
        }
    }
    with override_settings(CHANNEL_LAYERS=layers):
        yield get_channel_layer()


async def joined(app, path):
    communicator = WebsocketCommunicator(app, path)
    accepted, _ = await communicator.connect()
    assert accepted
    return communicator


async def test_chat_members_see_each_others_messages_through_redis(redis_layer, redis_client):
    app = MessageRouter("legacy.routing.channel_routing")
    ann = await joined(app, "/ws/legacy/chat/lobby/")
    bob = await joined(app, "/ws/legacy/chat/lobby/")
    assert redis_client.zcard("asgi:group:legacy-chat-lobby") == 2
    await ann.send_to(text_data="hello bob")
    expected = {"author": "anonymous", "text": "hello bob"}
    assert await ann.receive_json_from(timeout=5) == expected
    assert await bob.receive_json_from(timeout=5) == expected
    await bob.send_to(text_data="hi ann")
    assert (await ann.receive_json_from(timeout=5))["text"] == "hi ann"
    assert (await bob.receive_json_from(timeout=5))["text"] == "hi ann"
    await ann.disconnect(timeout=5)
    await bob.disconnect(timeout=5)
    assert redis_client.zcard("asgi:group:legacy-chat-lobby") == 0
    await redis_layer.close_pools()


def resize(message, **kwargs):
    message.reply_channel.send({"text": f"resized {message['image']}"})


def hand_off(message, **kwargs):
    if message.channel.name == "websocket.connect":
        message.reply_channel.send({"accept": True})
    else:
        Channel("images.resize").send(
            {"reply_channel": message.reply_channel.name, "image": "a.png"}
        )


async def test_a_worker_answers_the_reply_channel_through_redis(redis_layer):
    app = MessageRouter([route(["websocket.connect", "websocket.receive"], hand_off)])
    communicator = await joined(app, "/")
    await communicator.send_to(text_data="resize please")
    worker_app = MessageRouter([route("images.resize", resize)])
    worker = await serve_one(worker_app, redis_layer, "images.resize")
    assert await communicator.receive_from(timeout=5) == "resized a.png"
    worker.stop()
    await communicator.disconnect(timeout=5)
    await redis_layer.close_pools()


async def test_group_messages_are_plain_channels_1_replies_on_redis(redis_layer):
    app = MessageRouter("legacy.routing.channel_routing")
    ann = await joined(app, "/ws/legacy/chat/kitchen/")
    await room_group("kitchen").asend({"text": json.dumps({"from": "a script"})})
    assert await ann.receive_json_from(timeout=5) == {"from": "a script"}
    await ann.disconnect(timeout=5)
    await redis_layer.close_pools()
