"""A Channels 1 chat as it was written for Channels 1: only the imports changed.

Function consumers keep the room in the channel session and broadcast through a ``Group``;
a demultiplexer serves two streams on one socket.
"""

import json

from channels_admin.generic import JsonWebsocketConsumer, WebsocketDemultiplexer
from channels_admin.generic.sessions import channel_session_user, channel_session_user_from_http
from channels_admin.messages import Group

MAX_TEXT = 2000


def room_group(room):
    return Group(f"legacy-chat-{room}")


@channel_session_user_from_http
def chat_connect(message, room):
    message.channel_session["room"] = room
    room_group(room).add(message.reply_channel)
    message.reply_channel.send({"accept": True})


@channel_session_user
def chat_message(message, room):
    text = str(message.get("text") or "")[:MAX_TEXT]
    author = message.user.get_username() or "anonymous"
    room_group(room).send({"text": json.dumps({"author": author, "text": text})})


@channel_session_user
def chat_disconnect(message, room):
    room_group(room).discard(message.reply_channel)


class EchoStream(JsonWebsocketConsumer):
    """Answers each payload on its stream with the payload."""

    def connect(self, message, multiplexer, **kwargs):
        pass

    def receive(self, content, multiplexer, **kwargs):
        multiplexer.send({"echo": content})


class WhoStream(JsonWebsocketConsumer):
    """Tells the client who it is logged in as, once connected."""

    http_user = True

    def connect(self, message, multiplexer, **kwargs):
        multiplexer.send({"user": message.user.get_username() or "anonymous"})


class Streams(WebsocketDemultiplexer):
    consumers = {"echo": EchoStream, "who": WhoStream}
