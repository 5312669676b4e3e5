"""Active groups of a channel layer, with their members mapped back to connections.

Read from the layer itself, so groups joined before the recorder was installed, or by
connections of other workers, show too:

- ``InMemoryChannelLayer``: its ``groups`` dict (this process only, as the layer itself).
- channels_redis ``RedisChannelLayer``: every shard is scanned for ``{prefix}:group:*`` sorted
  sets; members whose join time is older than ``group_expiry`` are skipped, as
  ``group_send`` skips them. Complete across workers.
- channels_redis ``RedisPubSubChannelLayer``: Redis knows only which *processes* subscribe to a
  group, not which channels, so only this process's members can be listed
  (``complete: False``).
"""

import time

from channels.layers import InMemoryChannelLayer, get_channel_layer

from channels_admin.introspection.names import dotted_path
from channels_admin.registry import get_registry

PUBSUB_NOTE = (
    "RedisPubSubChannelLayer keeps group membership in each process; only this process's "
    "members are shown, other workers' are invisible to it."
)


async def active_groups(alias="default", name=None, registry=None):
    """``{"layer", "backend", "complete", "note", "groups"}`` for the layer ``alias``.

    ``groups`` is a list sorted by name of ``{"name", "size", "members"}``, each member
    ``{"channel", "connection"}`` (the connection id, or None when the registry does not know
    the channel). ``name`` keeps the groups whose name contains it.
    """
    layer, members, complete, note = await _read_members(alias)
    if name:
        members = {group: channels for group, channels in members.items() if name in group}
    registry = registry or get_registry()
    connections = await registry.connection_ids(
        [channel for channels in members.values() for channel in channels]
    )
    groups = [
        {
            "name": group,
            "size": len(channels),
            "members": [
                {"channel": channel, "connection": connections.get(channel)}
                for channel in sorted(channels)
            ],
        }
        for group, channels in sorted(members.items())
    ]
    return {
        "layer": alias,
        "backend": dotted_path(layer),
        "complete": complete,
        "note": note,
        "groups": groups,
    }


async def group_counts(alias="default"):
    """``{"layer", "backend", "complete", "note", "total", "members"}``: how many groups the
    layer ``alias`` has and how many memberships, without mapping members to connections."""
    layer, members, complete, note = await _read_members(alias)
    return {
        "layer": alias,
        "backend": dotted_path(layer),
        "complete": complete,
        "note": note,
        "total": len(members),
        "members": sum(len(channels) for channels in members.values()),
    }


async def _read_members(alias):
    """``(layer, {group: [channel, ...]}, complete, note)`` for the layer ``alias``."""
    layer = get_channel_layer(alias)
    if layer is None:
        raise LookupError("No channel layer %r is configured (CHANNEL_LAYERS)." % alias)
    if isinstance(layer, InMemoryChannelLayer):
        return layer, _in_memory_groups(layer), True, None
    if _is_class(layer, "channels_redis.core.RedisChannelLayer"):
        return layer, await _redis_groups(layer), True, None
    if _is_class(layer, "channels_redis.pubsub.RedisPubSubChannelLayer"):
        return layer, _pubsub_groups(layer), False, PUBSUB_NOTE
    note = "channels_admin cannot list the groups of %s." % dotted_path(layer)
    return layer, {}, False, note


def _is_class(layer, dotted):
    return any(dotted_path(cls) == dotted for cls in type(layer).__mro__)


def _in_memory_groups(layer):
    oldest = time.time() - layer.group_expiry
    groups = {}
    for group, channels in list(layer.groups.items()):
        alive = [channel for channel, joined in list(channels.items()) if joined >= oldest]
        if alive:
            groups[group] = alive
    return groups


async def _redis_groups(layer):
    prefix = f"{layer.prefix}:group:".encode()
    pattern = _escape_glob(prefix) + b"*"
    oldest = int(time.time()) - layer.group_expiry
    groups = {}
    for index in range(layer.ring_size):
        connection = layer.connection(index)
        keys = [key async for key in connection.scan_iter(match=pattern, count=500)]
        if not keys:
            continue
        async with connection.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.zrangebyscore(key, oldest, "+inf")
            found = await pipe.execute()
        for key, channels in zip(keys, found, strict=True):
            if channels:
                group = key[len(prefix) :].decode()
                groups.setdefault(group, []).extend(channel.decode() for channel in channels)
    return groups


def _pubsub_groups(layer):
    groups = {}
    for loop_layer in list(getattr(layer, "_layers", {}).values()):
        prefix = f"{loop_layer.prefix}__group__"
        for key, channels in list(loop_layer.groups.items()):
            if key.startswith(prefix) and channels:
                groups.setdefault(key[len(prefix) :], []).extend(channels)
    return groups


def _escape_glob(value):
    """``value`` with Redis glob characters escaped, so a prefix matches only itself."""
    return b"".join(b"\\" + bytes([c]) if bytes([c]) in b"*?[]\\" else bytes([c]) for c in value)
