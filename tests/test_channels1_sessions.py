"""Channels 1.1.8's session and ordering decorators: on functions and methods, with the channel
session in Django's session store keyed by the reply channel, through a MessageRouter too."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.backends.cache import SessionStore
from django.test import override_settings

from channels_admin.generic import JsonWebsocketConsumer, WebsocketConsumer, WebsocketDemultiplexer
from channels_admin.generic.sessions import (
    channel_and_http_session,
    channel_and_http_session_user_from_http,
    channel_session,
    channel_session_user,
    channel_session_user_from_http,
    enforce_ordering,
    http_session,
    http_session_user,
    session_for_reply_channel,
)
from channels_admin.messages import Message
from channels_admin.routing import MessageRouter, route, route_class
from channels_admin.testing import ChannelTestCase, WSClient, apply_routes
from tests.channel_worker import serve_one

CACHE_SESSIONS = override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cache")
DECORATORS = [
    channel_session,
    http_session,
    channel_and_http_session,
    http_session_user,
    channel_session_user,
    channel_session_user_from_http,
    channel_and_http_session_user_from_http,
    enforce_ordering,
]


def cookie_headers(session_key):
    return [(b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_key}".encode())]


def http_session_with(**values):
    session = SessionStore()
    session.update(values)
    session.save()
    return session


@CACHE_SESSIONS
class SessionTests(ChannelTestCase):
    def test_session_for_reply_channel_is_stored_by_reply_channel(self):
        session = session_for_reply_channel("test-reply-channel")
        session["testvalue"] = 42
        session.save()
        assert session_for_reply_channel("test-reply-channel")["testvalue"] == 42
        assert "testvalue" not in session_for_reply_channel("another-reply-channel")

    def test_channel_session_persists_what_the_consumer_stored(self):
        @channel_session
        def consumer(message):
            message.channel_session["num_ponies"] = -1

        consumer(Message({"reply_channel": "test-reply"}, None, None))
        assert session_for_reply_channel("test-reply")["num_ponies"] == -1

    def test_channel_session_twice_is_one_session(self):
        @channel_session
        @channel_session
        def consumer(message):
            message.channel_session["num_ponies"] = -2

        consumer(Message({"reply_channel": "test-reply-twice"}, None, None))
        assert session_for_reply_channel("test-reply-twice")["num_ponies"] == -2

    def test_channel_session_needs_a_reply_channel(self):
        @channel_session
        def consumer(message):
            pass

        with self.assertRaisesMessage(ValueError, "No reply_channel sent to consumer"):
            consumer(Message({}, None, None))

    def test_signed_cookie_sessions_are_refused(self):
        signed = "django.contrib.sessions.backends.signed_cookies"
        with override_settings(CHANNEL_SESSION_ENGINE=signed):
            with self.assertRaisesMessage(ValueError, "signed cookie sessions"):
                session_for_reply_channel("test-reply")

    def test_each_decorator_on_a_method_finds_the_message_after_self(self):
        class Consumer:
            def handle(self, message):
                self.seen = message

        for decorator in DECORATORS:
            consumer = Consumer()
            message = Message({"reply_channel": "test-method", "order": 0}, "test", None)
            decorator(Consumer.handle)(consumer, message)
            assert consumer.seen is message, decorator.__name__

    def test_each_decorator_without_a_message_says_so(self):
        for decorator in DECORATORS:
            with self.assertRaisesMessage(
                ValueError, f"{decorator.__name__} called without Message instance"
            ):
                decorator(lambda *args: None)(object(), {"reply_channel": "x"})

    def test_http_session_reads_the_cookie_and_saves_what_the_consumer_changed(self):
        session = http_session_with(species="pony")
        headers = {"host": b"example.com", "cookie": cookie_headers(session.session_key)[0][1]}

        @http_session
        @http_session
        def consumer(message):
            assert message.http_session["species"] == "pony"
            message.http_session["species"] = "horse"

        consumer(Message({"reply_channel": "test-reply", "headers": headers}, None, None))
        assert SessionStore(session.session_key)["species"] == "horse"

    def test_http_session_is_none_without_a_cookie_or_for_an_unknown_key(self):
        @http_session
        def consumer(message):
            message.seen = message.http_session

        for headers in ([], cookie_headers("no-such-session-key")):
            message = Message({"reply_channel": "r", "headers": headers}, None, None)
            consumer(message)
            assert message.seen is None

    def test_http_session_is_not_saved_when_the_consumer_fails(self):
        session = http_session_with(species="pony")

        @http_session
        def consumer(message):
            message.http_session["species"] = "horse"
            raise RuntimeError("boom")

        message = Message({"headers": cookie_headers(session.session_key)}, None, None)
        with self.assertRaisesMessage(RuntimeError, "boom"):
            consumer(message)
        assert SessionStore(session.session_key)["species"] == "pony"

    def test_channel_and_http_session_keeps_the_key_for_messages_without_cookie(self):
        session = http_session_with(theme="dark")

        @channel_and_http_session
        def consumer(message):
            pass

        first = Message(
            {
                "reply_channel": "test-reply-session",
                "headers": cookie_headers(session.session_key),
            },
            None,
            None,
        )
        consumer(first)
        assert first.channel_session[settings.SESSION_COOKIE_NAME] == session.session_key
        later = Message({"reply_channel": "test-reply-session", "path": "/"}, None, None)
        consumer(later)
        assert later.http_session.session_key == session.session_key
        assert later.http_session["theme"] == "dark"

    def test_the_user_moves_from_the_http_session_to_the_channel_session(self):
        user = User.objects.create_user("ann")
        self.client.force_login(user)
        key = self.client.session.session_key

        @channel_session_user_from_http
        def connect(message):
            message.connect_user = message.user

        @channel_session_user
        def receive(message):
            message.receive_user = message.user

        first = Message({"reply_channel": "r-user", "headers": cookie_headers(key)}, None, None)
        connect(first)
        later = Message({"reply_channel": "r-user"}, None, None)
        receive(later)
        assert first.connect_user == user and later.receive_user == user
        stranger = Message({"reply_channel": "r-stranger"}, None, None)
        receive(stranger)
        assert stranger.receive_user.is_anonymous


@CACHE_SESSIONS
class OrderingTests(ChannelTestCase):
    def message(self, reply_channel, order, channel="websocket.receive"):
        return Message({"reply_channel": reply_channel, "order": order}, channel, None)

    def test_messages_in_order_run_and_nothing_waits(self):
        ran = []

        @enforce_ordering
        def consumer(message):
            ran.append(message["order"])

        for order in (0, 1, 2):
            consumer(self.message("test-reply-b", order))
        assert ran == [0, 1, 2]
        assert self.get_next_message("__wait__.test-reply-b") is None

    def test_an_early_message_waits_on_the_wait_channel(self):
        ran = []

        @enforce_ordering
        def consumer(message):
            ran.append(message["order"])

        consumer(self.message("test-reply-c", 0, "websocket.connect"))
        consumer(self.message("test-reply-c", 3))
        assert ran == [0]
        waiting = self.get_next_message("__wait__.test-reply-c", require=True)
        assert (waiting["order"], waiting["original_channel"]) == (3, "websocket.receive")

    def test_the_message_that_waited_goes_back_on_its_channel_after_its_predecessor(self):
        ran = []

        @enforce_ordering
        def consumer(message):
            ran.append(message["order"])

        consumer(self.message("test-reply-d", 0, "websocket.connect"))
        consumer(self.message("test-reply-d", 2))
        consumer(self.message("test-reply-d", 1))
        assert ran == [0, 1]
        requeued = self.get_next_message("websocket.receive", require=True)
        assert requeued["order"] == 2 and "original_channel" not in requeued
        consumer(requeued)
        assert ran == [0, 1, 2]

    def test_a_message_without_order_is_refused(self):
        @enforce_ordering
        def consumer(message):
            pass

        with self.assertRaisesMessage(ValueError, "No `order` value in message"):
            consumer(Message({"reply_channel": "test-reply-e"}, None, None))
        with self.assertRaisesMessage(ValueError, "No reply_channel sent to consumer"):
            consumer(Message({"order": 0}, None, None))

    def test_slight_ordering_is_refused_as_in_channels_1_1_8(self):
        with self.assertRaisesMessage(ValueError, "Slight ordering is now always on"):
            enforce_ordering(slight=True)


class Tally(JsonWebsocketConsumer):
    channel_session = True
    strict_ordering = True

    def connect(self, message, multiplexer=None, **kwargs):
        message.channel_session.setdefault("tally", 0)

    def receive(self, content, multiplexer=None, **kwargs):
        self.message.channel_session["tally"] += content["add"]
        multiplexer.send({"tally": self.message.channel_session["tally"]})


class Tallies(WebsocketDemultiplexer):
    http_user = True  # the demultiplexer holds the channel session too
    strict_ordering = True
    consumers = {"one": Tally, "two": Tally}


@CACHE_SESSIONS
class DemultiplexedSessionTests(ChannelTestCase):
    def test_stream_consumers_share_the_demultiplexers_session_and_turn(self):
        with apply_routes([route_class(Tallies)]):
            client = WSClient(ordered=True)
            client.send_and_consume("websocket.connect", path="/")  # both streams connect
            for add, tally in ((2, 2), (3, 5)):
                frame = {"stream": "two", "payload": {"add": add}}
                client.send_and_consume("websocket.receive", text=frame, path="/")
                assert client.receive() == {"stream": "two", "payload": {"tally": tally}}
            assert session_for_reply_channel(client.reply_channel)["tally"] == 5
            assert self.get_next_message(f"__wait__.{client.reply_channel}") is None


class Visits(WebsocketConsumer):
    strict_ordering = True
    channel_session = True

    def connect(self, message, **kwargs):
        message.channel_session["visits"] = 0
        message.reply_channel.send({"accept": True})

    def receive(self, text=None, bytes=None, **kwargs):
        self.message.channel_session["visits"] += 1
        self.send(
            text=f"{self.message.channel_session['visits']} {self.message.reply_channel.name}"
        )


class Noted(WebsocketDemultiplexer):
    mapping = {"note": "notes.read"}
    channel_session = True

    def connect(self, message, **kwargs):
        message.channel_session["room"] = "lobby"
        super().connect(message, **kwargs)


@channel_session
def read_note(message, **kwargs):
    payload = {"room": message.channel_session.get("room"), "asked": message["asked"]}
    message.reply_channel.send({"text": json.dumps({"stream": "note", "payload": payload})})


@pytest.fixture
def layer():
    with override_settings(
        CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}},
        CHANNEL_SESSION_ENGINE="django.contrib.sessions.backends.db",
    ):
        yield get_channel_layer()


@pytest.mark.usefixtures("transactional_db")
async def test_strict_ordering_and_a_channel_session_in_the_database_for_a_connections_life(layer):
    communicator = WebsocketCommunicator(MessageRouter([route_class(Visits)]), "/")
    assert (await communicator.connect())[0]
    for visits in (1, 2, 3):
        await communicator.send_to(text_data="?")
        count, reply_channel = (await communicator.receive_from()).split()
        assert count == str(visits)
    session = await sync_to_async(session_for_reply_channel)(reply_channel)
    assert session["visits"] == 3 and session["__channels_next_order"] == 4
    await communicator.disconnect(timeout=10)  # returns once the disconnect was handled
    assert not await sync_to_async(session.exists)(session.session_key)  # deleted at the end


@pytest.mark.usefixtures("transactional_db")
async def test_a_worker_behind_a_demultiplexer_mapping_sees_the_channel_session(layer):
    communicator = WebsocketCommunicator(MessageRouter([route_class(Noted)]), "/")
    assert (await communicator.connect())[0]
    await communicator.send_json_to({"stream": "note", "payload": {"asked": "room?"}})
    worker = await serve_one(MessageRouter([route("notes.read", read_note)]), layer, "notes.read")
    assert await communicator.receive_json_from() == {
        "stream": "note",
        "payload": {"room": "lobby", "asked": "room?"},
    }
    worker.stop()
    await communicator.disconnect()


class Greeter(WebsocketConsumer):
    @channel_session_user_from_http
    def connect(self, message, **kwargs):
        message.channel_session["greeting"] = f"hello {message.user.get_username()}"
        message.reply_channel.send({"accept": True})

    @channel_session_user
    def disconnect(self, message, **kwargs):
        Greeter.goodbyes.append(f"bye {message.user.get_username()}")

    def receive(self, text=None, bytes=None, **kwargs):
        self.send(text=session_for_reply_channel(self.message.reply_channel.name)["greeting"])


def logged_in_headers(username):
    user = User.objects.create_user(username)
    session = SessionStore()
    session.update(
        {
            "_auth_user_id": str(user.pk),
            "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
            "_auth_user_hash": user.get_session_auth_hash(),
        }
    )
    session.save()
    return cookie_headers(session.session_key)


@pytest.mark.usefixtures("transactional_db")
async def test_decorated_consumer_methods_on_a_message_router(layer):
    Greeter.goodbyes = []
    with override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cache"):
        headers = await sync_to_async(logged_in_headers)("dee")
        communicator = WebsocketCommunicator(
            MessageRouter([route_class(Greeter)]), "/", headers=headers
        )
        assert (await communicator.connect())[0]
        await communicator.send_to(text_data="?")
        assert await communicator.receive_from() == "hello dee"
        await communicator.disconnect(timeout=10)  # returns once the disconnect was handled
    assert Greeter.goodbyes == ["bye dee"]
