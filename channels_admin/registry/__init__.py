"""Where the recorder keeps connections and decisions, and how to reach a live one.

``get_registry()`` returns the backend named by ``CHANNELS_ADMIN["REGISTRY"]`` (one instance
per process); ``close_connection()`` asks a live connection to close and ``change_group()``
adds it to a group or removes it, through the channel layer, from any process that shares the
layer.
"""

from channels.layers import BaseChannelLayer, get_channel_layer
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from channels_admin.compat import require_valid_group_name
from channels_admin.conf import app_settings
from channels_admin.registry.base import LIVE_STATES, Registry, RegistryUnavailable

CLOSE_MESSAGE = "channels_admin.close"
GROUP_MESSAGE = "channels_admin.group"

_registry = None


def get_registry():
    """The configured registry backend (created on first use; tried again after a failure)."""
    global _registry
    if _registry is None:
        dotted = app_settings()["REGISTRY"]
        try:
            registry_class = import_string(dotted)
        except Exception as exc:  # ImportError, or whatever the module raises on import
            raise ImproperlyConfigured(
                "CHANNELS_ADMIN['REGISTRY'] = %r cannot be imported: %s" % (dotted, exc)
            ) from exc
        _registry = registry_class()
    return _registry


def set_registry(registry):
    """Use ``registry`` from now on (tests; None goes back to the configured one)."""
    global _registry
    _registry = registry


@receiver(setting_changed)
def _reset(setting, **kwargs):
    if setting == "CHANNELS_ADMIN":
        set_registry(None)


def valid_close_code(code):
    """1000 (normal) or an application code, 3000-4999: what a server may send to close."""
    return isinstance(code, int) and (code == 1000 or 3000 <= code <= 4999)


async def close_connection(connection_id, code=1000, reason=None):
    """Close a live connection with ``code`` (and ``reason``); return its record as it was.

    A message of type ``channels_admin.close`` goes to the connection's channel-layer channel;
    the recorder of the process serving it intercepts it (the consumer never sees it) and
    sends ``websocket.close``, with ``reason`` when one is given (servers that support it,
    such as uvicorn, pass it on to the client; daphne drops it). Raises ``LookupError`` for an
    unknown or closed connection and ``ValueError`` for a bad code or a connection without a
    channel-layer channel.
    """
    if not valid_close_code(code):
        raise ValueError("Close code must be 1000 or between 3000 and 4999, not %r." % (code,))
    record = await live_channel(connection_id)
    message = {"type": CLOSE_MESSAGE, "code": code}
    if reason:
        message["reason"] = reason
    await get_channel_layer(record["channel_layer"]).send(record["channel_name"], message)
    return record


async def change_group(connection_id, group, joined, by=None):
    """Add a live connection to ``group`` (``joined``) or remove it; return its record as it was.

    ``group_add``/``group_discard`` of the connection's channel go straight to its channel
    layer, so the change holds when this returns, whichever process serves the connection.
    A ``channels_admin.group`` note follows on the connection's channel: the recorder of the
    process serving it takes it out (the consumer never sees it) and records the change as
    made by ``by`` (a username). Raises like :func:`close_connection`, and ``ValueError`` for a
    group name the channel layer would refuse.
    """
    try:
        require_valid_group_name(BaseChannelLayer(), group)
    except TypeError as exc:
        raise ValueError("%s Got %r." % (exc, group)) from None
    record = await live_channel(connection_id)
    layer = get_channel_layer(record["channel_layer"])
    channel = record["channel_name"]
    if joined:
        await layer.group_add(group, channel)
    else:
        await layer.group_discard(group, channel)
    note = {"type": GROUP_MESSAGE, "group": group, "joined": joined, "by": by}
    await layer.send(channel, note)
    return record


async def live_channel(connection_id):
    """Return the record of a live connection that has a channel-layer channel, or raise."""
    record = await get_registry().get(connection_id)
    if record is None or record["state"] not in LIVE_STATES:
        raise LookupError("No live connection %r." % connection_id)
    if record["type"] != "websocket" or not record["channel_name"]:
        raise ValueError(
            "Connection %r has no channel-layer channel (only WebSocket consumers with a "
            "channel layer can be reached from outside)." % connection_id
        )
    return record


__all__ = [
    "CLOSE_MESSAGE",
    "GROUP_MESSAGE",
    "Registry",
    "RegistryUnavailable",
    "change_group",
    "close_connection",
    "get_registry",
    "set_registry",
]
