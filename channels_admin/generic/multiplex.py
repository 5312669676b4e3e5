"""
Several streams over one websocket: frames are ``{"stream": name, "payload": {...}}``.

A ``WebsocketDemultiplexer`` hands each stream to a JSON consumer class (``consumers``) or
forwards it to a channel on the layer (``mapping``) for a worker to answer. A frame it cannot
deliver (not JSON, not ``{"stream", "payload"}``, an unknown stream, a payload that is not an
object) is answered with ``{"error": "..."}`` and the connection stays open.
"""

import json

from channels_admin.generic.websockets import JsonWebsocketConsumer
from channels_admin.messages import Channel, Group


class WebsocketMultiplexer:
    """Sends payloads to one connection, wrapped as one stream; consumers get it as the
    ``multiplexer`` kwarg."""

    def __init__(self, stream, reply_channel):
        self.stream = stream
        self.reply_channel = reply_channel

    def send(self, payload):
        self.reply_channel.send(self.encode(self.stream, payload))

    @classmethod
    def encode_json(cls, content):
        return json.dumps(content)

    @classmethod
    def encode(cls, stream, payload):
        """The reply dict carrying ``payload`` on ``stream``."""
        return {"text": cls.encode_json({"stream": stream, "payload": payload})}

    @classmethod
    def group_send(cls, name, stream, payload, close=False):
        reply = cls.encode(stream, payload)
        if close:
            reply["close"] = close
        Group(name).send(reply)


class WebsocketDemultiplexer(JsonWebsocketConsumer):
    """Routes each stream of a multiplexed websocket.

    ``consumers = {stream: ConsumerClass}``: every consumer sees connect and disconnect, the
    addressed one each frame's payload, each called with ``multiplexer=`` and the route
    kwargs. ``mapping = {stream: "channel.name"}``: the payload, with ``reply_channel``, is sent
    to that channel, where a ``MessageRouter`` worker can answer the connection.
    """

    consumers = {}
    mapping = {}
    multiplexer_class = WebsocketMultiplexer

    def multiplexer(self, stream):
        return self.multiplexer_class(stream, self.message.reply_channel)

    def connect(self, message, **kwargs):
        self.message.reply_channel.send({"accept": True})
        for stream, consumer in self.consumers.items():
            consumer(message, **{**kwargs, "multiplexer": self.multiplexer(stream)})

    def receive(self, content, **kwargs):
        if not isinstance(content, dict) or "stream" not in content or "payload" not in content:
            self.send_error('a multiplexed frame is {"stream": "...", "payload": {...}}')
            return
        stream, payload = content["stream"], content["payload"]
        if not isinstance(stream, str) or not (stream in self.consumers or stream in self.mapping):
            self.send_error(f"unknown stream {stream!r}")
            return
        if not isinstance(payload, dict):
            self.send_error(f"the payload of stream {stream!r} must be an object")
            return
        if stream in self.consumers:
            frame = self.message.with_content(
                {**self.message.content, "text": self.encode_json(payload)}
            )
            self.consumers[stream](frame, **{**kwargs, "multiplexer": self.multiplexer(stream)})
        else:
            channel = Channel(self.mapping[stream], channel_layer=self.message.channel_layer)
            # The type is the mapped channel's, never the client's: a Channels 2+ worker picks
            # its handler method by type, and that choice is not the client's to make.
            reply_channel = self.message.reply_channel.name
            channel.send({**payload, "reply_channel": reply_channel, "type": channel.name})

    def disconnect(self, message, **kwargs):
        for stream, consumer in self.consumers.items():
            consumer(message, **{**kwargs, "multiplexer": self.multiplexer(stream)})

    @classmethod
    def encode(cls, stream, payload):
        return cls.multiplexer_class.encode(stream, payload)

    @classmethod
    def group_send(cls, name, stream, payload, close=False):
        cls.multiplexer_class.group_send(name, stream, payload, close=close)
