"""Where the recorder keeps connections and decisions, and how to reach a live one.

``get_registry()`` returns the backend named by ``CHANNELS_ADMIN["REGISTRY"]`` (one instance
per process); ``close_connection()`` asks a live connection to close, through the channel
layer, from any process that shares the layer.
"""

from channels.layers import get_channel_layer
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from channels_admin.conf import app_settings
from channels_admin.registry.base import LIVE_STATES, Registry, RegistryUnavailable

CLOSE_MESSAGE = "channels_admin.close"

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


async def close_connection(connection_id, code=1000):
    """Close a live connection with ``code``; returns its record as it was.

    A message of type ``channels_admin.close`` goes to the connection's channel-layer channel;
    the recorder of the process serving it intercepts it (the consumer never sees it) and
    sends ``websocket.close``. Raises ``LookupError`` for an unknown or closed connection and
    ``ValueError`` for a bad code or a connection without a channel-layer channel.
    """
    if not valid_close_code(code):
        raise ValueError("Close code must be 1000 or between 3000 and 4999, not %r." % (code,))
    record = await get_registry().get(connection_id)
    if record is None or record["state"] not in LIVE_STATES:
        raise LookupError("No live connection %r." % connection_id)
    if record["type"] != "websocket" or not record["channel_name"]:
        raise ValueError(
            "Connection %r has no channel-layer channel (only WebSocket consumers with a "
            "channel layer can be closed from outside)." % connection_id
        )
    layer = get_channel_layer(record["channel_layer"])
    await layer.send(record["channel_name"], {"type": CLOSE_MESSAGE, "code": code})
    return record


__all__ = [
    "CLOSE_MESSAGE",
    "Registry",
    "RegistryUnavailable",
    "close_connection",
    "get_registry",
    "set_registry",
]
