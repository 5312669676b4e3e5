"""
Channels 1's test tools on ASGI, so a Channels 1 project's own tests run with their imports
changed (``channels.test`` -> ``channels_admin.testing``).

``ChannelTestCase`` swaps each layer of ``test_channel_aliases`` for a :class:`MemoryLayer`
for the test: messages stay in the process and can be read without waiting. The layer carries
the routing (``layer.routing``, ``layer.router``, a :class:`~channels_admin.routing.Router`) that
``apply_routes`` sets. A :class:`Client` sends messages to channels and ``consume()`` runs the
consumer the routing picks, returning what the consumer returned (the instance of a class-based
consumer); replies wait on the client's reply channel for ``receive()``. :class:`WSClient` adds
paths, headers, cookies, a session and login, as Channels 1.1.8's did.

To test a routing as one real connection instead, serve it with a ``MessageRouter`` and drive
it with Channels' ``WebsocketCommunicator``; the layer here serves that too.
"""

import asyncio
import copy
import json
import secrets
import string
from collections import defaultdict, deque
from functools import wraps
from importlib import import_module

from asgiref.sync import async_to_sync
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import BaseChannelLayer, channel_layers
from django.apps import apps
from django.conf import settings
from django.http.cookie import SimpleCookie
from django.test import TestCase, TransactionTestCase

from channels_admin.messages import Group, Message
from channels_admin.routing.messages import Router, include, is_async

RECEIVE_POLL = 0.005  # seconds between looks at an empty channel when a receiver waits


class MemoryLayer(BaseChannelLayer):
    """A channel layer for tests: messages and groups in this process, ``receive_nowait()``
    for a look without waiting, and the routing ``Client.consume()`` follows."""

    extensions = ["groups", "flush"]

    def __init__(self, routing=()):
        super().__init__()
        self.messages = defaultdict(deque)
        self.groups = defaultdict(set)
        self.routing = list(routing)
        self.router = Router(self.routing)

    async def send(self, channel, message):
        self.messages[channel].append(copy.deepcopy(message))

    def receive_nowait(self, channel):
        """Return the next message on ``channel``, or None when there is none."""
        queue = self.messages.get(channel)
        return queue.popleft() if queue else None

    async def receive(self, channel):
        while not self.messages.get(channel):
            await asyncio.sleep(RECEIVE_POLL)
        return self.receive_nowait(channel)

    async def new_channel(self, prefix="specific"):
        return f"{prefix}.memory!{secrets.token_hex(6)}"

    async def group_add(self, group, channel):
        self.groups[group].add(channel)

    async def group_discard(self, group, channel):
        self.groups[group].discard(channel)

    async def group_send(self, group, message):
        for channel in self.groups.get(group, ()):
            await self.send(channel, message)

    async def flush(self):
        self.messages.clear()
        self.groups.clear()


def routing_of(routes):
    """Return a routing list from routes, a list of routes or a list of such lists."""
    if not isinstance(routes, (list, tuple)):
        return [routes]
    if routes and isinstance(routes[0], (list, tuple)):
        return [include(entry) for entry in routes]
    return list(routes)


def next_message(channel, alias=DEFAULT_CHANNEL_LAYER):
    """Return the next Message sent to ``channel`` on a test layer, or None."""
    layer = channel_layers[alias]
    content = layer.receive_nowait(channel)
    if content is None:
        return None
    return Message(content, channel, layer)


class ChannelTestCaseMixin:
    """Give each test fresh in-memory layers (``test_channel_aliases``) keeping their routing,
    and ``get_next_message()`` to read what was sent."""

    test_channel_aliases = [DEFAULT_CHANNEL_LAYER]

    def _pre_setup(self):
        super()._pre_setup()
        self._old_layers = {}
        for alias in self.test_channel_aliases:
            old = channel_layers[alias] if alias in channel_layers else None
            layer = MemoryLayer(getattr(old, "routing", ()))
            self._old_layers[alias] = channel_layers.set(alias, layer)

    def _post_teardown(self):
        for alias, layer in self._old_layers.items():
            if layer is None:
                channel_layers.backends.pop(alias, None)
            else:
                channel_layers.set(alias, layer)
        del self._old_layers
        super()._post_teardown()

    def get_next_message(self, channel, alias=DEFAULT_CHANNEL_LAYER, require=False):
        """Return the next message sent to ``channel``; None, or a failure if ``require``."""
        message = next_message(channel, alias)
        if message is None and require:
            self.fail(f"Expected a message on channel {channel}, got none")
        return message


class ChannelTestCase(ChannelTestCaseMixin, TestCase):
    pass


class TransactionChannelTestCase(ChannelTestCaseMixin, TransactionTestCase):
    pass


class Client:
    """Send messages with a reply channel, run their consumers, read the replies."""

    def __init__(self, alias=DEFAULT_CHANNEL_LAYER):
        letters = "".join(secrets.choice(string.ascii_letters) for _ in range(12))
        self.reply_channel = f"{alias}.{letters}"
        self.alias = alias

    @property
    def channel_layer(self):
        return channel_layers[self.alias]

    def get_next_message(self, channel):
        return next_message(channel, self.alias)

    def get_consumer_by_channel(self, channel):
        found = self.channel_layer.router.match(Message({"text": ""}, channel, self.channel_layer))
        return found[0] if found else None

    def send(self, to, content=None):
        """Send ``content`` to channel ``to``, with this client's reply channel."""
        content = copy.deepcopy(content or {})
        content.setdefault("reply_channel", self.reply_channel)
        async_to_sync(self.channel_layer.send)(to, content)

    def consume(self, channel, fail_on_none=True):
        """Run the consumer of the next message on ``channel``; return what it returned."""
        message = self.get_next_message(channel)
        if message is None:
            if fail_on_none:
                raise AssertionError(f"No message for channel {channel}")
            return None
        found = self.channel_layer.router.match(message)
        if found is None:
            if fail_on_none:
                raise AssertionError(f"Can't find consumer for message {message}")
            return None
        consumer, kwargs = found
        if is_async(consumer):
            return async_to_sync(consumer)(message, **kwargs)
        return consumer(message, **kwargs)

    def send_and_consume(self, channel, content=None, fail_on_none=True):
        self.send(channel, content)
        return self.consume(channel, fail_on_none=fail_on_none)

    def receive(self):
        """Return the next reply sent to this client, or None."""
        message = self.get_next_message(self.reply_channel)
        if message is None:
            return None
        content = dict(message.content)
        if content.get("type") == self.reply_channel:  # added by Channel.send() for Channels 2+
            del content["type"]
        return content

    def join_group(self, group_name):
        Group(group_name, alias=self.alias).add(self.reply_channel)


class WSClient(Client):
    """A websocket client: paths, headers, cookies, a session, login; ``receive()`` decodes
    JSON text frames; ``ordered=True`` numbers messages with ``order``."""

    def __init__(self, ordered=False, **kwargs):
        super().__init__(**kwargs)
        self._ordered = ordered
        self._session = None
        self._headers = {}
        self._cookies = {}
        self._session_cookie = True
        self.order = 0

    def set_cookie(self, key, value):
        self._cookies[key] = value

    def set_header(self, key, value):
        if key == "cookie":
            raise ValueError("Use set_cookie method for cookie header")
        self._headers[key] = value

    def get_cookies(self):
        cookies = dict(self._cookies)
        if self._session_cookie and apps.is_installed("django.contrib.sessions"):
            cookies[settings.SESSION_COOKIE_NAME] = self.session.session_key
        return cookies

    @property
    def headers(self):
        headers = dict(self._headers)
        headers.setdefault("cookie", encoded_cookies(self.get_cookies()))
        return headers

    @property
    def session(self):
        """The client's HTTP session, in ``SESSION_ENGINE`` (its cookie is sent on connect)."""
        if not apps.is_installed("django.contrib.sessions"):
            raise OSError("Add django.contrib.sessions to the INSTALLED_APPS to use session")
        if self._session is None:
            self._session = import_module(settings.SESSION_ENGINE).SessionStore()
            self._session.save()
        return self._session

    def receive(self, json=True):
        """Return the next reply: its text (decoded if JSON and ``json``), else the reply."""
        content = super().receive()
        if not content:
            return None
        if json and isinstance(content.get("text"), str):
            return json_module.loads(content["text"])
        return content.get("text", content)

    def send(self, to, content=None, text=None, path="/"):
        if to != "websocket.connect" and "?" in path:
            path = path.split("?")[0]
        async_to_sync(self.channel_layer.send)(to, self._content(content, text, path))
        self._session_cookie = False

    def _content(self, content, text, path):
        content = copy.deepcopy(content or {})
        content.setdefault("reply_channel", self.reply_channel)
        path, _, query_string = path.partition("?")
        content.setdefault("path", path)
        if query_string:
            content.setdefault("query_string", query_string)
        headers = [[as_bytes(name), as_bytes(value)] for name, value in self.headers.items()]
        content.setdefault("headers", headers)
        if self._ordered:
            if "order" in content:
                raise ValueError('Do not use "order" manually with "ordered=True"')
            content["order"] = self.order
            self.order += 1
        text = text or content.get("text")
        if text is not None:
            content["text"] = text if isinstance(text, str) else json_module.dumps(text)
        return content

    def send_and_consume(
        self, channel, content=None, text=None, path="/", fail_on_none=True, check_accept=True
    ):
        self.send(channel, content, text, path)
        return self.consume(channel, fail_on_none=fail_on_none, check_accept=check_accept)

    def consume(self, channel, fail_on_none=True, check_accept=True):
        """Run the next message's consumer; after ``websocket.connect``, check it accepted."""
        result = super().consume(channel, fail_on_none=fail_on_none)
        if channel == "websocket.connect" and check_accept:
            received = self.receive(json=False)
            if received != {"accept": True}:
                raise AssertionError(f"Connection rejected: {received} != '{{accept: True}}'")
        return result

    def login(self, **credentials):
        """Log in through Django's auth backends; False if the credentials do not."""
        from django.contrib.auth import authenticate

        user = authenticate(**credentials)
        if user and user.is_active and apps.is_installed("django.contrib.sessions"):
            self._login(user)
            return True
        return False

    def force_login(self, user, backend=None):
        user.backend = backend or settings.AUTHENTICATION_BACKENDS[0]
        self._login(user)

    def _login(self, user):
        from django.contrib.auth import login

        request = type("FakeRequest", (), {"session": self.session, "META": {}})
        login(request, user)
        self.session.save()


HttpClient = WSClient  # Channels 1.1's older name


def as_bytes(value):
    return value.encode("latin-1") if isinstance(value, str) else value


def encoded_cookies(cookies):
    """Return ``cookies`` (a dict) as a Cookie header value, in bytes."""
    encoder = SimpleCookie()
    for name, value in cookies.items():
        encoder[name] = value
    return encoder.output(header="", sep=";").encode("ascii")


json_module = json  # WSClient.receive() has a ``json`` argument


class apply_routes:  # noqa: N801 (Channels 1's name)
    """Use ``routes`` as the test layers' routing inside a ``with`` block, a decorated test or
    a decorated test class."""

    def __init__(self, routes, aliases=(DEFAULT_CHANNEL_LAYER,)):
        self.routes = routes
        self.aliases = list(aliases)
        self._old_routing = {}

    def enter(self):
        for alias in self.aliases:
            layer = channel_layers[alias]
            self._old_routing[alias] = getattr(layer, "routing", [])
            layer.routing = routing_of(self.routes)
            layer.router = Router(layer.routing)

    def exit(self, exc_type=None, exc_val=None, exc_tb=None):
        for alias in self.aliases:
            layer = channel_layers[alias]
            layer.routing = self._old_routing.pop(alias)
            layer.router = Router(layer.routing)

    __enter__ = enter
    __exit__ = exit

    def __call__(self, test_func):
        if isinstance(test_func, type):
            old_setup, old_teardown = test_func.setUpClass, test_func.tearDownClass

            def setup(cls):
                self.enter()
                old_setup()

            def teardown(cls):
                self.exit()
                old_teardown()

            test_func.setUpClass = classmethod(setup)
            test_func.tearDownClass = classmethod(teardown)
            return test_func

        @wraps(test_func)
        def inner(*args, **kwargs):
            with self:
                return test_func(*args, **kwargs)

        return inner
