"""``@async_action``: marks a handler method as an action a client may call by name."""

import functools
import inspect
from dataclasses import dataclass

from channels.db import database_sync_to_async

MODES = ("response", "broadcast", "none")


@dataclass(frozen=True)
class ActionOptions:
    """How an action answers: reply to the sender, broadcast to the group, or stay silent."""

    name: str
    mode: str = "response"
    broadcast_type: str = "general.broadcast"
    send_response_in_broadcast: bool = True


def async_action(func=None, *, name=None, mode="response", **options):
    """Make a handler method callable as the action ``name`` (default: the method's name).

    The method takes the frame's payload as keyword arguments and returns ``(data, status)``.
    An ``async def`` is awaited; a plain ``def`` runs in a worker thread
    (``database_sync_to_async``), so it may use the ORM.

    ``mode="response"`` replies to the sender; ``mode="broadcast"`` also sends the result to
    the handler's group (see ``group_send_lookup_kwargs``) as a ``broadcast_type`` event
    (default ``"general.broadcast"``), and ``send_response_in_broadcast=False`` drops the reply
    to the sender; ``mode="none"`` sends nothing. Use it bare (``@async_action``) or called.
    """
    if mode not in MODES:
        raise ValueError(f"async_action(mode={mode!r}): mode must be one of {MODES}.")
    unknown = set(options) - {"broadcast_type", "send_response_in_broadcast"}
    if unknown:
        raise TypeError(f"async_action() got unexpected options: {sorted(unknown)}")
    broadcast_type = options.get("broadcast_type", ActionOptions.broadcast_type)
    if broadcast_type.replace(".", "_").startswith("_"):
        raise ValueError(
            f"async_action(broadcast_type={broadcast_type!r}): Channels cannot deliver a type "
            "that starts with an underscore or a dot."
        )

    def decorate(method):
        if inspect.iscoroutinefunction(method):
            action = method
        else:

            @functools.wraps(method)
            async def action(self, /, *args, **kwargs):
                call = functools.partial(method, self, *args, **kwargs)
                return await database_sync_to_async(call)()

        action.action_options = ActionOptions(name or method.__name__, mode, **options)
        return action

    return decorate if func is None else decorate(func)
