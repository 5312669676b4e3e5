"""
Channels 1's session, user and ordering decorators for consumers, on ASGI.

- ``channel_session``: ``message.channel_session``, a Django session keyed by the reply channel
  (``session_for_reply_channel()``), in ``CHANNEL_SESSION_ENGINE`` (default
  ``SESSION_ENGINE``): it lasts as long as the connection and every worker sees it, also a
  worker answering a demultiplexer's mapped stream. Saved after the consumer if modified.
- ``http_session``: ``message.http_session``, the Django session named by the session cookie in
  the message's headers (``None`` without one); saved after the consumer if it modified it.
- ``channel_and_http_session``: both; the HTTP session's key is kept in the channel session, so
  messages without the cookie still get the HTTP session.
- ``http_session_user``: ``message.http_session`` and ``message.user``, the user of that session
  (``AnonymousUser`` without one).
- ``channel_session_user``: ``message.channel_session`` and the user it carries
  (``AnonymousUser`` until ``channel_session_user_from_http`` ran on the connection).
- ``channel_session_user_from_http``: the HTTP session's user, copied into the channel session
  for the rest of the connection; put it on ``websocket.connect``.
- ``channel_and_http_session_user_from_http``: both sessions and the user.
- ``enforce_ordering``: run a connection's messages in their ``order``; one that arrives early
  waits on the layer's ``__wait__.<reply channel>`` channel until its turn.

Each works on functions and on consumer methods (the Message is the first or second positional
argument, as in Channels 1.1.8), plain or ``async def``; sessions are loaded and saved in a
thread either way, since they query the session store.
"""

import functools
import hashlib
from importlib import import_module
from types import SimpleNamespace

from asgiref.sync import async_to_sync, iscoroutinefunction
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.sessions.backends import signed_cookies
from django.contrib.sessions.backends.base import CreateError
from django.http.cookie import parse_cookie

from channels_admin.messages import Message

NEXT_ORDER = "__channels_next_order"
WAITING = "__channels_waiting"  # how many of the connection's messages wait their turn
SKIP = object()  # an entry step's answer: do not run the consumer now


def session_for_reply_channel(reply_channel):
    """Return the channel session of ``reply_channel`` (a channel name), creating it if needed."""
    engine = import_module(getattr(settings, "CHANNEL_SESSION_ENGINE", settings.SESSION_ENGINE))
    if engine is signed_cookies:
        raise ValueError(
            "You cannot use channels session functionality with signed cookie sessions!"
        )
    digest = hashlib.sha1(reply_channel.encode("utf-8")).hexdigest()
    session_key = "chn" + digest[:29]
    session = engine.SessionStore(session_key=session_key)
    session.keys()  # load now: a missing or expired session forgets its key
    if session.session_key == session_key:
        return session
    session = engine.SessionStore(session_key=session_key)
    session.delete(session_key)  # an expired session may still hold the key
    try:
        session.save(must_create=True)
    except CreateError:  # another worker created it meanwhile
        return engine.SessionStore(session_key=session_key)
    return session


def header_items(headers):
    """Return ``(name, value)`` text pairs from ASGI header pairs or a Channels 1 header dict."""
    if isinstance(headers, dict):
        headers = headers.items()
    for name, value in headers or ():
        name = name.decode("latin-1") if isinstance(name, bytes) else name
        value = value.decode("latin-1") if isinstance(value, bytes) else value
        yield name.lower(), value


def session_from_headers(headers):
    """Return the Django session named by the session cookie in ``headers``, or None."""
    cookies = {}
    for name, value in header_items(headers):
        if name == "cookie":
            cookies.update(parse_cookie(value))
    return session_from_key(cookies.get(settings.SESSION_COOKIE_NAME))


def session_from_key(session_key):
    """Return the existing Django session ``session_key`` names, or None."""
    if not session_key:
        return None
    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore(session_key=session_key)
    return session if session.exists(session_key) else None


def user_from_session(session):
    """Return the user a session is logged in as, ``AnonymousUser`` for none."""
    from django.contrib.auth import get_user
    from django.contrib.auth.models import AnonymousUser

    if session is None:
        return AnonymousUser()
    return get_user(SimpleNamespace(session=session))


def transfer_user(from_session, to_session):
    """Copy the logged-in user from one session to another."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    for key in (SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY):
        if key in from_session and to_session.get(key) != from_session[key]:
            to_session[key] = from_session[key]  # only on change: an unchanged one isn't saved


def message_among(args, decorator):
    """Return the Message among the first two positional arguments (function or method)."""
    for arg in args[:2]:
        if isinstance(arg, Message):
            return arg
    raise ValueError(f"{decorator} called without Message instance")


# Entry steps: each prepares the message before the consumer runs and returns what to do
# after it (a ``leave(failed)`` callable), None for nothing, or SKIP to not run it now.


def open_channel_session(message):
    if hasattr(message, "channel_session"):
        return None  # an outer decorator opened it and saves it
    if not message.reply_channel:
        raise ValueError(
            "No reply_channel sent to consumer; @channel_session "
            "can only be used on messages containing it."
        )
    session = session_for_reply_channel(message.reply_channel.name)
    message.channel_session = session
    if message.connection is not None:
        message.connection.channel_session = session

    def save(failed):
        if session.modified and not session.is_empty():
            session.save()
            session.modified = False

    return save


def open_http_session(message):
    if hasattr(message, "http_session"):
        return None
    connection = message.connection
    if connection is None:
        session = session_from_headers(message.get("headers"))
    else:  # the headers of a connection do not change: load its session once
        if not connection.http_session_loaded:
            connection.http_session = session_from_headers(connection.scope.get("headers"))
            connection.http_session_loaded = True
        session = connection.http_session
    message.http_session = session

    def save(failed):
        if not failed and session is not None and session.modified:
            session.save()
            session.modified = False

    return save


def keep_http_session_key(message):
    """Keep the HTTP session's key in the channel session; restore the HTTP session from it."""
    name = settings.SESSION_COOKIE_NAME
    if message.http_session is not None and name not in message.channel_session:
        message.channel_session[name] = message.http_session.session_key
    elif message.http_session is None and name in message.channel_session:
        message.http_session = session_from_key(message.channel_session[name])


def set_http_user(message):
    connection = message.connection
    if connection is None:
        message.user = user_from_session(message.http_session)
        return
    if connection.http_user is None:
        connection.http_user = user_from_session(message.http_session)
    message.user = connection.http_user


def set_channel_session_user(message):
    from django.contrib.auth import SESSION_KEY

    connection = message.connection
    user_id = message.channel_session.get(SESSION_KEY)
    if connection is not None and connection.user is not None and connection.user_id == user_id:
        message.user = connection.user
        return
    message.user = user_from_session(message.channel_session)
    if connection is not None:
        connection.user, connection.user_id = message.user, user_id


def transfer_http_user(message):
    if message.http_session is not None:
        transfer_user(message.http_session, message.channel_session)


def wait_channel(message):
    # A "!" would make it a process-local name, which channels_redis receives only in the
    # process that made it.
    return "__wait__." + message.reply_channel.name.replace("!", ".")


def take_turn(message):
    """Run the message if it is the connection's next; else park it on its wait channel."""
    if "order" not in message.content:
        raise ValueError(
            "No `order` value in message; @enforce_ordering "
            "can only be used on messages containing it."
        )
    if getattr(message, "turn_taken", False):
        return None  # an outer enforce_ordering already let this message through
    order = int(message.content["order"])
    session = message.channel_session
    if order != session.get(NEXT_ORDER, 0):
        parked = {**message.content, "original_channel": message.channel.name}
        async_to_sync(message.channel_layer.send)(wait_channel(message), parked)
        session[WAITING] = session.get(WAITING, 0) + 1
        session.save()
        session.modified = False
        return SKIP
    message.turn_taken = True

    def advance(failed):
        session[NEXT_ORDER] = order + 1
        waiting = session.pop(WAITING, 0)
        session.save()
        session.modified = False
        requeue(message, waiting)

    return advance


def requeue(message, count):
    """Put the connection's waiting messages back on their channels, to be tried again."""
    layer = message.channel_layer
    for _ in range(count):
        content = async_to_sync(layer.receive)(wait_channel(message))
        original = content.pop("original_channel")
        async_to_sync(layer.send)(original, content)


def enter(steps, message):
    leaves = []
    for step in steps:
        outcome = step(message)
        if outcome is SKIP:
            leave(leaves, failed=False)
            return SKIP
        if outcome is not None:
            leaves.append(outcome)
    return leaves


def leave(leaves, failed):
    for step in reversed(leaves):
        step(failed)


def consumer_decorator(name, *steps):
    """Return a decorator running ``steps`` around a consumer function or method."""

    def decorator(consumer):
        if iscoroutinefunction(consumer):

            @functools.wraps(consumer)
            async def async_inner(*args, **kwargs):
                message = message_among(args, name)
                leaves = await database_sync_to_async(enter)(steps, message)
                if leaves is SKIP:
                    return None
                failed = True
                try:
                    result = await consumer(*args, **kwargs)
                    failed = False
                    return result
                finally:
                    await database_sync_to_async(leave)(leaves, failed)

            return async_inner

        @functools.wraps(consumer)
        def inner(*args, **kwargs):
            message = message_among(args, name)
            leaves = enter(steps, message)
            if leaves is SKIP:
                return None
            failed = True
            try:
                result = consumer(*args, **kwargs)
                failed = False
                return result
            finally:
                leave(leaves, failed)

        return inner

    decorator.__name__ = name
    return decorator


channel_session = consumer_decorator("channel_session", open_channel_session)
http_session = consumer_decorator("http_session", open_http_session)
channel_and_http_session = consumer_decorator(
    "channel_and_http_session",
    open_http_session,
    open_channel_session,
    keep_http_session_key,
)
http_session_user = consumer_decorator("http_session_user", open_http_session, set_http_user)
channel_session_user = consumer_decorator(
    "channel_session_user", open_channel_session, set_channel_session_user
)
channel_session_user_from_http = consumer_decorator(
    "channel_session_user_from_http",
    open_http_session,
    set_http_user,
    open_channel_session,
    transfer_http_user,
)
channel_and_http_session_user_from_http = consumer_decorator(
    "channel_and_http_session_user_from_http",
    open_http_session,
    open_channel_session,
    keep_http_session_key,
    set_http_user,
    transfer_http_user,
)


def enforce_ordering(func=None, slight=False):
    """Run a connection's messages in the order of their ``order`` key, as Channels 1.1.8 did.

    A message that arrives before its turn waits on ``__wait__.<reply channel>`` and goes back
    on its channel once the message before it ran. A ``MessageRouter`` already hands a
    connection's events over in order, so there nothing waits.
    """
    if slight:
        raise ValueError(
            "Slight ordering is now always on due to Channels changes. "
            "Please remove the decorator."
        )
    decorator = consumer_decorator("enforce_ordering", open_channel_session, take_turn)
    return decorator if func is None else decorator(func)
