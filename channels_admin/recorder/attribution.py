"""Which connection a channel name and its group joins belong to, with no consumer changes.

``get_channel_layer(alias)`` returns one layer instance per alias, shared by every consumer of
the process. :func:`instrument_layers` wraps four methods of each instance, once:

- ``new_channel()``: a consumer asks for its channel name inside its connection's task, where
  the recorder middleware has set :func:`~channels_admin.recorder.recording.current_recording`; the
  name is attributed to that connection.
- ``group_add()``/``group_discard()``: the channel name says whose group changed, whoever
  calls it (the consumer itself, or code adding another connection's channel).
- ``receive()``: a ``channels_admin.close`` message (sent by
  :func:`channels_admin.registry.close_connection`) is taken out before the consumer sees it,
  and the connection is closed with the code (and reason) it carries; a ``channels_admin.group``
  note (sent by :func:`channels_admin.registry.change_group` after its ``group_add`` or
  ``group_discard``) is taken out too, and the change recorded as the admin user's; any other
  message is noted in the connection's frames log (direction ``group``) when it keeps one.
"""

from channels.layers import get_channel_layer
from django.conf import settings

from channels_admin.recorder.recording import by_channel, current_recording, report_failure
from channels_admin.registry import CLOSE_MESSAGE, GROUP_MESSAGE

MARK = "_channels_admin_alias"


def instrument_layers():
    """Instrument each configured channel layer instance that is not yet (cheap when done)."""
    for alias in getattr(settings, "CHANNEL_LAYERS", None) or ():
        layer = get_channel_layer(alias)
        if layer is not None and getattr(layer, MARK, None) is None:
            instrument(layer, alias)


def instrument(layer, alias):
    new_channel = layer.new_channel
    group_add = layer.group_add
    group_discard = layer.group_discard
    receive = layer.receive

    async def attributed_new_channel(*args, **kwargs):
        name = await new_channel(*args, **kwargs)
        recording = current_recording()
        if recording is not None:
            try:
                recording.channel_created(name, alias)
                await recording.store(recording.registry.changed, recording.record)
            except Exception as exc:
                report_failure(exc)
        return name

    async def attributed_group_add(group, channel):
        await group_add(group, channel)
        await note_group_change(channel, group, joined=True)

    async def attributed_group_discard(group, channel):
        await group_discard(group, channel)
        await note_group_change(channel, group, joined=False)

    async def controlled_receive(channel):
        while True:
            message = await receive(channel)
            kind = message.get("type")
            recording = by_channel.get(channel)
            if kind != CLOSE_MESSAGE and kind != GROUP_MESSAGE:
                if recording is not None:
                    try:
                        recording.delivered(message)
                    except Exception as exc:
                        report_failure(exc)
                return message
            if recording is None:
                continue
            if kind == CLOSE_MESSAGE:
                await recording.close(message.get("code", 1000), message.get("reason"))
            else:
                await note_admin_group_change(recording, message)

    layer.new_channel = attributed_new_channel
    layer.group_add = attributed_group_add
    layer.group_discard = attributed_group_discard
    layer.receive = controlled_receive
    setattr(layer, MARK, alias)


async def note_group_change(channel, group, joined):
    """Tell the recording of ``channel``, if this process serves it, that it joined or left."""
    recording = by_channel.get(channel)
    if recording is None:
        return
    try:
        if joined:
            recording.joined(group)
        else:
            recording.left(group)
    except Exception as exc:
        report_failure(exc)
    await recording.store(recording.registry.changed, recording.record)


async def note_admin_group_change(recording, message):
    """Record a group change made from the dashboard (a ``channels_admin.group`` note)."""
    try:
        recording.changed_by_admin(message["group"], bool(message["joined"]), message.get("by"))
    except Exception as exc:
        report_failure(exc)
    await recording.store(recording.registry.changed, recording.record)
