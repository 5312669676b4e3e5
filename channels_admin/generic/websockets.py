"""
Channels 1's websocket consumers: ``WebsocketConsumer`` and ``JsonWebsocketConsumer``.

A ``MessageRouter`` hands a connection's events to consumers one at a time, in the order the
server received them. ``strict_ordering = True`` adds Channels 1.1.8's ``enforce_ordering`` on
top, for messages that arrive by other ways (``channels_admin.testing``, a worker's channel);
``slight_ordering`` is accepted and changes nothing.
"""

import json

from channels_admin import jsonframes
from channels_admin.generic import sessions
from channels_admin.generic.base import BaseConsumer
from channels_admin.messages import Group


def frame(text, bytes, close):
    reply = {}
    if text is not None:
        reply["text"] = text
    elif bytes is not None:
        reply["bytes"] = bytes
    else:
        raise ValueError("Pass text or bytes to send.")
    if close:
        reply["close"] = close
    return reply


class WebsocketConsumer(BaseConsumer):
    """A websocket connection: ``connect``, ``receive(text=None, bytes=None)``, ``disconnect``.

    The connection joins the groups ``connection_groups(**kwargs)`` names (``groups`` by
    default) on connect and leaves them on disconnect. ``http_user = True`` gives
    ``message.user`` from the Django session cookie; ``http_user_and_session`` adds
    ``message.http_session``; ``channel_session(_user)`` give ``message.channel_session``.
    """

    method_mapping = {
        "websocket.connect": "raw_connect",
        "websocket.receive": "raw_receive",
        "websocket.disconnect": "raw_disconnect",
    }
    http_user = False
    http_user_and_session = False
    strict_ordering = False
    slight_ordering = False
    groups = None

    def get_handler(self, message, **kwargs):
        handler = super().get_handler(message, **kwargs)
        if self.http_user_and_session:
            handler = sessions.channel_and_http_session_user_from_http(handler)
        elif self.http_user:
            handler = sessions.channel_session_user_from_http(handler)
        if self.strict_ordering:
            handler = sessions.enforce_ordering(handler)
        return handler

    @property
    def path(self):
        return self.message["path"]

    def connection_groups(self, **kwargs):
        return self.groups or []

    def raw_connect(self, message, **kwargs):
        for group in self.connection_groups(**kwargs):
            Group(group, channel_layer=message.channel_layer).add(message.reply_channel)
        self.connect(message, **kwargs)

    def connect(self, message, **kwargs):
        self.message.reply_channel.send({"accept": True})

    def raw_receive(self, message, **kwargs):
        if "text" in message:
            self.receive(text=message["text"], **kwargs)
        else:
            self.receive(bytes=message["bytes"], **kwargs)

    def receive(self, text=None, bytes=None, **kwargs):
        pass

    def send(self, text=None, bytes=None, close=False):
        self.message.reply_channel.send(frame(text, bytes, close))

    @classmethod
    def group_send(cls, name, text=None, bytes=None, close=False):
        Group(name).send(frame(text, bytes, close))

    def close(self, status=True):
        """Close the socket, with ``status`` as the close code if it is a number."""
        self.message.reply_channel.send({"close": status})

    def raw_disconnect(self, message, **kwargs):
        for group in self.connection_groups(**kwargs):
            Group(group, channel_layer=message.channel_layer).discard(message.reply_channel)
        self.disconnect(message, **kwargs)

    def disconnect(self, message, **kwargs):
        pass


class JsonWebsocketConsumer(WebsocketConsumer):
    """A websocket consumer speaking JSON: ``receive(content)``, ``send(content)``.

    A frame that is not JSON text, or nests deeper than ``max_json_depth``, is answered with an
    error frame ``{"error": "..."}`` and the connection stays open. Under a demultiplexer (a
    ``multiplexer`` kwarg), ``send()`` goes through it, wrapped as the consumer's stream.
    """

    max_json_depth = jsonframes.MAX_JSON_DEPTH

    def raw_receive(self, message, **kwargs):
        text = message.get("text")
        if text is None:
            self.send_error("expected a JSON text frame, got a binary frame")
            return
        try:
            content = self.decode_json(text)
        except jsonframes.TooDeeplyNested as error:
            self.send_error(f"{error} (max_json_depth)")
            return
        except ValueError as error:
            self.send_error(f"invalid JSON: {error}")
            return
        self.receive(content, **kwargs)

    def receive(self, content, **kwargs):
        pass

    def send(self, content, close=False):
        multiplexer = self.kwargs.get("multiplexer")
        if multiplexer is not None:
            multiplexer.send(content)
            if close:
                self.close(close)
            return
        super().send(text=self.encode_json(content), close=close)

    def send_error(self, error):
        """Tell the client its frame was refused; the connection stays open."""
        self.message.reply_channel.send({"text": self.encode_json({"error": error})})

    @classmethod
    def group_send(cls, name, content, close=False):
        WebsocketConsumer.group_send(name, cls.encode_json(content), close=close)

    @classmethod
    def decode_json(cls, text):
        return jsonframes.loads(text, cls.max_json_depth)

    @classmethod
    def encode_json(cls, content):
        return json.dumps(content)
