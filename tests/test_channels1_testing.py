"""Channels 1's test client on ASGI: a Channels 1 project's generic-consumer tests, ported with
their imports changed, run as they did on Channels 1.1.8."""

import json

from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.test import override_settings

from channels_admin.generic import (
    BaseConsumer,
    JsonWebsocketConsumer,
    WebsocketConsumer,
    WebsocketDemultiplexer,
    WebsocketMultiplexer,
)
from channels_admin.generic.sessions import channel_session_user, channel_session_user_from_http
from channels_admin.routing import MessageRouter, route, route_class
from channels_admin.testing import (
    ChannelTestCase,
    Client,
    HttpClient,
    MemoryLayer,
    WSClient,
    apply_routes,
)


class Echo(JsonWebsocketConsumer):
    def receive(self, content, multiplexer=None, **kwargs):
        (multiplexer or self).send(content)


class EchoStreams(WebsocketDemultiplexer):
    consumers = {"echo": Echo}


@override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cache")
class ClientTests(ChannelTestCase):
    def test_consume_calls_the_method_the_mapping_names_and_returns_the_instance(self):
        class Consumers(BaseConsumer):
            method_mapping = {"test.create": "create", "test.test": "test"}

            def create(self, message, **kwargs):
                self.called = "create"

            def test(self, message, **kwargs):
                self.called = "test"

        with apply_routes([route_class(Consumers)]):
            client = Client()
            assert client.send_and_consume("test.create").called == "create"
            assert client.send_and_consume("test.test").called == "test"
            for channel in ("test.wrong", "test"):
                client.send(channel)
                message = self.get_next_message(channel, require=True)
                assert client.channel_layer.router.match(message) is None

    def test_websocket_handlers_get_the_route_kwargs(self):
        class Numbered(WebsocketConsumer):
            def connect(self, message, **kwargs):
                self.called, self.id = "connect", kwargs["id"]

            def disconnect(self, message, **kwargs):
                self.called = "disconnect"

            def receive(self, text=None, bytes=None, **kwargs):
                self.text = text

        with apply_routes([route_class(Numbered, path=r"/path/(?P<id>\d+)")]):
            client = Client()
            consumer = client.send_and_consume("websocket.connect", {"path": "/path/1"})
            assert (consumer.called, consumer.id) == ("connect", "1")
            consumer = client.send_and_consume(
                "websocket.receive", {"path": "/path/1", "text": "t"}
            )
            assert consumer.text == "t"
            consumer = client.send_and_consume("websocket.disconnect", {"path": "/path/1"})
            assert consumer.called == "disconnect"

    def test_strict_ordering_holds_a_message_back_until_its_turn(self):
        class Ordered(WebsocketConsumer):
            strict_ordering = True

            def connect(self, message, **kwargs):
                self.order = message["order"]

        with apply_routes([route_class(Ordered, path="/path")]):
            client = Client()
            client.send("websocket.connect", {"path": "/path", "order": 1})
            client.send("websocket.connect", {"path": "/path", "order": 0})
            assert not hasattr(client.consume("websocket.connect"), "order")  # too early: waits
            assert client.consume("websocket.connect").order == 0
            assert client.consume("websocket.connect").order == 1  # back on its channel
            assert client.get_next_message("websocket.connect") is None

    def test_as_route_attrs_make_a_subclass_and_replies_reach_the_client(self):
        class Counting(WebsocketConsumer):
            def connect(self, message, **kwargs):
                self.message.reply_channel.send({"accept": True})
                self.send(text=message.get("order"))

        routes = [
            Counting.as_route(attrs={"strict_ordering": True}, path="^/path$"),
            Counting.as_route(path="^/path/2$"),
        ]
        assert routes[0].consumer is not Counting
        assert routes[1].consumer is Counting
        with apply_routes(routes):
            client = HttpClient()
            client.send("websocket.connect", {"path": "/path", "order": 1})
            client.send("websocket.connect", {"path": "/path", "order": 0})
            client.consume("websocket.connect", check_accept=False)
            client.consume("websocket.connect")
            assert client.receive(json=False) == 0
            client.consume("websocket.connect")
            assert client.receive(json=False) == 1
            client.send_and_consume("websocket.connect", {"path": "/path/2", "order": "next"})
            assert client.receive(json=False) == "next"

    def test_as_route_with_a_method_mapping_and_a_filter(self):
        class Trigger(BaseConsumer):
            trigger = "new"

            def test(self, message, **kwargs):
                self.message.reply_channel.send({"trigger": self.trigger})

        attrs = {"method_mapping": {"mychannel": "test"}, "trigger": "from_as_route"}
        with apply_routes([Trigger.as_route(attrs, name="filter")]):
            client = Client()
            client.send_and_consume("mychannel", {"name": "filter"})
            assert client.receive() == {"trigger": "from_as_route"}
            assert client.receive() is None

    def test_demultiplexer_streams_connect_frames_and_disconnect(self):
        class Mirror(JsonWebsocketConsumer):
            def connect(self, message, multiplexer=None, **kwargs):
                multiplexer.send(kwargs)

            def disconnect(self, message, multiplexer=None, **kwargs):
                multiplexer.send(kwargs)

            def receive(self, content, multiplexer=None, **kwargs):
                multiplexer.send(content)

        class Streams(WebsocketDemultiplexer):
            consumers = {"mystream": Mirror}

        with apply_routes([route_class(Streams, path=r"/path/(?P<id>\d+)")]):
            client = HttpClient()
            client.send_and_consume("websocket.connect", path="/path/1")
            assert client.receive() == {"stream": "mystream", "payload": {"id": "1"}}
            frame = {"stream": "mystream", "payload": {"text_field": "mytext"}}
            client.send_and_consume("websocket.receive", text=frame, path="/path/1")
            assert client.receive() == frame
            client.send_and_consume("websocket.disconnect", path="/path/1")
            assert client.receive() == {"stream": "mystream", "payload": {"id": "1"}}

    def test_send_under_a_demultiplexer_goes_out_on_the_stream(self):
        """Channels 1.1.8 raised SendNotAvailableOnDemultiplexer; here send() is wrapped."""
        with apply_routes([route_class(EchoStreams, path="/path")]):
            client = HttpClient()
            frame = {"stream": "echo", "payload": {"text_field": "mytext"}}
            client.send_and_consume("websocket.receive", path="/path", text=frame)
            assert client.receive() == frame

    def test_custom_json_encoding_for_replies_and_group_sends(self):
        class Shouting(JsonWebsocketConsumer):
            @classmethod
            def decode_json(cls, text):
                return {key.upper(): value for key, value in json.loads(text).items()}

            @classmethod
            def encode_json(cls, content):
                return json.dumps({key.lower(): value for key, value in content.items()})

            def receive(self, content, multiplexer=None, **kwargs):
                self.content_received = content
                self.send({"RESPONSE": "HI"})

        with apply_routes([route_class(Shouting, path="/path")]):
            client = HttpClient()
            consumer = client.send_and_consume("websocket.receive", path="/path", text={"k": "v"})
            assert consumer.content_received == {"K": "v"}
            assert client.receive() == {"response": "HI"}
            client.join_group("test_group")
            Shouting.group_send("test_group", {"KEY": "VALUE"})
            assert client.receive() == {"key": "VALUE"}

    def test_custom_multiplexer_encodes_what_stream_consumers_send(self):
        class Upper(JsonWebsocketConsumer):
            def connect(self, message, multiplexer=None, **kwargs):
                multiplexer.send({"THIS_SHOULD_BE_LOWERCASED": "1"})

        class Lowering(WebsocketMultiplexer):
            @classmethod
            def encode_json(cls, content):
                payload = {key.lower(): value for key, value in content["payload"].items()}
                return json.dumps({"stream": content["stream"], "payload": payload})

        class Streams(WebsocketDemultiplexer):
            multiplexer_class = Lowering
            consumers = {"mystream": Upper}

        with apply_routes([route_class(Streams, path=r"/path/(?P<ID>\d+)")]):
            client = HttpClient()
            client.send_and_consume("websocket.connect", path="/path/1")
            assert client.receive() == {
                "stream": "mystream",
                "payload": {"this_should_be_lowercased": "1"},
            }

    def test_a_refused_connect_fails_the_check(self):
        class Refusing(WebsocketConsumer):
            def connect(self, message, **kwargs):
                message.reply_channel.send({"accept": False})

        with apply_routes([route_class(Refusing)]):
            client = WSClient()
            with self.assertRaisesMessage(AssertionError, "Connection rejected"):
                client.send_and_consume("websocket.connect", path="/")

    def test_consume_fails_without_a_message_or_a_route(self):
        with apply_routes([route("known", lambda message: None)]):
            client = Client()
            with self.assertRaisesMessage(AssertionError, "No message for channel known"):
                client.consume("known")
            client.send("unknown")
            with self.assertRaisesMessage(AssertionError, "Can't find consumer"):
                client.consume("unknown")
            assert client.consume("known", fail_on_none=False) is None

    def test_the_test_layer_replaces_the_configured_one_for_the_test(self):
        assert isinstance(Client().channel_layer, MemoryLayer)

    def test_a_message_router_connection_is_served_by_the_test_layer(self):
        class Lobby(WebsocketConsumer):
            groups = ["lobby"]

        async def scenario():
            communicator = WebsocketCommunicator(MessageRouter([route_class(Lobby)]), "/")
            assert (await communicator.connect())[0]
            await sync_to_async(Lobby.group_send)("lobby", text="hello lobby")
            assert await communicator.receive_from() == "hello lobby"
            await communicator.disconnect()

        async_to_sync(scenario)()


@apply_routes([route("websocket.connect", lambda message: None)])
class ApplyRoutesOnAClassTests(ChannelTestCase):
    def test_every_test_of_the_class_sees_the_routes(self):
        assert Client().get_consumer_by_channel("websocket.connect") is not None


@channel_session_user_from_http
def hello(message, **kwargs):
    message.reply_channel.send({"accept": True})


@channel_session_user
def whoami(message, **kwargs):
    message.reply_channel.send({"text": message.user.get_username() or "anonymous"})


class LoginTests(ChannelTestCase):
    routes = [route("websocket.connect", hello), route("websocket.receive", whoami)]

    def test_a_logged_in_client_is_the_user_for_the_whole_connection(self):
        User.objects.create_user("ann", password="secret-for-tests")
        with apply_routes(self.routes):
            client = WSClient()
            assert client.login(username="ann", password="secret-for-tests")
            client.send_and_consume("websocket.connect", path="/")
            client.send_and_consume("websocket.receive", text="?")  # no cookie after connect
            assert client.receive(json=False) == "ann"

    def test_force_login_and_a_stranger(self):
        with apply_routes(self.routes):
            client = WSClient()
            client.force_login(User.objects.create_user("bob"))
            stranger = WSClient()
            for each in (client, stranger):
                each.send_and_consume("websocket.connect", path="/")
                each.send_and_consume("websocket.receive", text="?")
            assert client.receive(json=False) == "bob"
            assert stranger.receive(json=False) == "anonymous"
            assert not WSClient().login(username="bob", password="wrong")

    def test_ordered_client_numbers_its_messages(self):
        client = WSClient(ordered=True)
        client.send("websocket.connect", path="/room?token=1")
        client.send("websocket.receive", text={"a": 1}, path="/room?token=1")
        connect = client.get_next_message("websocket.connect")
        receive = client.get_next_message("websocket.receive")
        assert (connect["order"], receive["order"]) == (0, 1)
        assert (connect["path"], connect["query_string"]) == ("/room", "token=1")
        assert "query_string" not in receive and receive["text"] == '{"a": 1}'
        with self.assertRaisesMessage(ValueError, "ordered=True"):
            client.send("websocket.receive", {"order": 5})
