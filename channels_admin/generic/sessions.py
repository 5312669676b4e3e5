"""
Channels 1's session and user decorators for consumers, on ASGI.

- ``channel_session``: ``message.channel_session``, a dict that lasts as long as the connection
  (kept in this process with the connection a ``MessageRouter`` serves).
- ``http_session``: ``message.http_session``, the Django session named by the session cookie in
  the message's headers (``None`` without one).
- ``http_session_user``: that too, and ``message.user``, the user of that session (what
  ``request.user`` would be on a view; ``AnonymousUser`` without a session).
- ``channel_session_user_from_http``: ``message.user`` from the HTTP session, kept in the
  channel session for the rest of the connection; put it on ``websocket.connect``.
- ``channel_session_user``: ``message.channel_session`` and the user the channel session
  carries (``AnonymousUser`` until ``channel_session_user_from_http`` ran on the connection).
- ``channel_and_http_session_user_from_http``: both sessions and the user.

Sessions and users are loaded once per connection. Each decorator works on plain and on
``async def`` consumers; loading runs in a thread either way, since it queries the database.
"""

import functools
from importlib import import_module
from types import SimpleNamespace

from asgiref.sync import iscoroutinefunction
from channels.db import database_sync_to_async
from django.conf import settings
from django.http.cookie import parse_cookie


def session_from_headers(headers):
    """The Django session named by the session cookie in ASGI ``headers``, or None."""
    cookies = {}
    for name, value in headers or ():
        if name.lower() == b"cookie":
            cookies.update(parse_cookie(value.decode("latin-1")))
    session_key = cookies.get(settings.SESSION_COOKIE_NAME)
    if not session_key:
        return None
    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore(session_key=session_key)
    return session if session.exists(session_key) else None


def user_from_session(session):
    from django.contrib.auth import get_user
    from django.contrib.auth.models import AnonymousUser

    if session is None:
        return AnonymousUser()
    return get_user(SimpleNamespace(session=session))


def connection_of(message, decorator):
    if message.connection is None:
        raise ValueError(
            f"{decorator} keeps its state with the connection, and this message on "
            f"{message.channel.name!r} did not come from a connection a MessageRouter serves."
        )
    return message.connection


def load_http_session(message):
    connection = message.connection
    if connection is None:
        return session_from_headers(message.get("headers"))
    if not connection.http_session_loaded:
        connection.http_session = session_from_headers(connection.scope.get("headers"))
        connection.http_session_loaded = True
    return connection.http_session


def prepare_channel_session(message):
    message.channel_session = connection_of(message, "channel_session").channel_session


def prepare_http_session(message):
    message.http_session = load_http_session(message)


def prepare_http_session_user(message):
    prepare_http_session(message)
    connection = message.connection
    if connection is None:
        message.user = user_from_session(message.http_session)
        return
    if connection.http_user is None:
        connection.http_user = user_from_session(message.http_session)
    message.user = connection.http_user


def prepare_channel_session_user(message):
    from django.contrib.auth.models import AnonymousUser

    prepare_channel_session(message)
    message.user = message.connection.user or AnonymousUser()


def prepare_channel_session_user_from_http(message):
    prepare_channel_session(message)
    connection = message.connection
    if connection.user is None:
        prepare_http_session_user(message)
        connection.user = message.user
    message.user = connection.user


def prepare_channel_and_http_session_user_from_http(message):
    prepare_channel_session_user_from_http(message)
    prepare_http_session(message)


def consumer_decorator(prepare):
    """A decorator that runs ``prepare(message)`` before the consumer, sync or async."""

    def decorator(consumer):
        if iscoroutinefunction(consumer):

            @functools.wraps(consumer)
            async def async_inner(message, *args, **kwargs):
                await database_sync_to_async(prepare)(message)
                return await consumer(message, *args, **kwargs)

            return async_inner

        @functools.wraps(consumer)
        def inner(message, *args, **kwargs):
            prepare(message)
            return consumer(message, *args, **kwargs)

        return inner

    decorator.__name__ = prepare.__name__.removeprefix("prepare_")
    return decorator


channel_session = consumer_decorator(prepare_channel_session)
http_session = consumer_decorator(prepare_http_session)
http_session_user = consumer_decorator(prepare_http_session_user)
channel_session_user = consumer_decorator(prepare_channel_session_user)
channel_session_user_from_http = consumer_decorator(prepare_channel_session_user_from_http)
channel_and_http_session_user_from_http = consumer_decorator(
    prepare_channel_and_http_session_user_from_http
)
