"""``AsyncAPIConsumer``: a JSON WebSocket API whose frames are routed to action handlers.

A client sends ``{"action": "list", "route": "rooms/5/messages/", ...payload}``; the consumer
resolves ``route`` through its ``routepatterns`` (Django ``path()``/``re_path()``/``include()``),
runs the handler's action with the payload as keyword arguments and replies
``{"errors": [], "data": ..., "action": "list", "route": "rooms/5/messages/", "status": 200}``,
the wire format of rest_framework_channels; a ``request_id`` sent with the frame is echoed back.
A frame without a route, or whose route nothing matches, goes to the consumer's own actions.

Every problem with a frame is a reply and the connection stays open: 400 for a binary frame,
invalid JSON, JSON nested deeper than ``max_json_depth``, a frame that is not an object, a
missing ``action`` or bad arguments; 403 for a refused permission; 404 for a route nothing
matches; 405 for an unknown action; 500 for an exception inside an action (the client gets a
generic message, the log the traceback). The consumer's exception handler decides these
replies (see :mod:`channels_admin.actions.exceptions`); one that returns None re-raises.

A ``mode="broadcast"`` action sends its group ``{"type", "data", "status"}`` events, as
rest_framework_channels does; ``broadcast_as_reply = True`` adds ``errors``, ``action`` and
``route``, so that members get reply-shaped frames.

Close codes:

- **4403**: a consumer permission's ``can_connect()`` refused the connection. The socket is
  accepted and then closed, so that browsers see the code (a refused handshake shows as 1006).
- **4400**: the connection's URL kwarg named by ``group_send_lookup_kwargs`` is not usable as
  a Channels group name (ASCII letters, digits, ``-_.``, under 100 characters).
- **1009** comes from daphne, not from here: it closes on a frame over 1 MiB before the
  consumer sees it (``daphne --websocket-max-message-size``); ``max_frame_size`` is the
  consumer's own limit, a 400 reply, for servers that allow more.
"""

import inspect
import json

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.module_loading import import_string

from channels_admin import jsonframes
from channels_admin.actions.exceptions import ActionError
from channels_admin.actions.handlers import ActionRequest, AsyncAPIActionHandler, json_type
from channels_admin.actions.permissions import ask
from channels_admin.actions.routing import innermost
from channels_admin.compat import require_valid_group_name
from channels_admin.conf import app_settings
from channels_admin.routing.trace import current_trace, record_step

CLOSE_REFUSED = 4403
CLOSE_BAD_GROUP = 4400


class AsyncAPIConsumer(AsyncAPIActionHandler, AsyncJsonWebsocketConsumer):
    """A JSON WebSocket consumer that routes each frame's action by its ``route``.

    ``permission_classes`` guard the connection and every action on it (a handler's own
    permissions are checked after them). With ``group_send_lookup_kwargs`` set and the
    connection's URL capturing that kwarg, the connection joins that group on connect.
    Frames longer than ``max_frame_size`` characters are refused with a 400 before decoding,
    frames nesting deeper than ``max_json_depth`` with a 400 after.

    ``exception_handler`` (a function or its dotted path) overrides
    ``CHANNELS_ADMIN["EXCEPTION_HANDLER"]`` for this consumer.
    """

    max_frame_size = 1024 * 1024
    max_json_depth = jsonframes.MAX_JSON_DEPTH
    exception_handler = None
    broadcast_as_reply = False
    refused = False
    json_encoder_class = DjangoJSONEncoder

    async def websocket_connect(self, message):
        url_route = self.scope.get("url_route") or {}
        self.consumer = self
        self.args = tuple(url_route.get("args", ()))
        self.kwargs = dict(url_route.get("kwargs", {}))
        for permission in self.get_permissions():
            if not await ask(permission.can_connect, self.scope, self, message):
                await self.refuse(CLOSE_REFUSED)
                return
        lookup = self.group_send_lookup_kwargs
        if lookup is not None and lookup in self.kwargs:
            try:
                await self.join_group(self.get_group_name())
            except ActionError:
                await self.refuse(CLOSE_BAD_GROUP)
                return
        await super().websocket_connect(message)

    async def refuse(self, code):
        self.refused = True
        await self.accept()
        await self.close(code)

    async def websocket_receive(self, message):
        if not self.refused:  # frames that raced the close of a refused connection
            await super().websocket_receive(message)

    async def receive(self, text_data=None, bytes_data=None):
        content = {}
        try:
            content = self.decode_frame(text_data)
            await self.route_action(ActionRequest.from_content(content))
        except StopConsumer:
            raise
        except Exception as exc:
            await self.handle_exception(exc, content)

    def decode_frame(self, text_data):
        """The frame as a dict, or ``ActionError(400)`` saying why it is not one."""
        if text_data is None:
            raise ActionError(400, "Binary frames are not supported: send JSON as text.")
        if self.max_frame_size is not None and len(text_data) > self.max_frame_size:
            raise ActionError(
                400,
                f"Frame of {len(text_data)} characters is over the limit of "
                f"{self.max_frame_size} (max_frame_size).",
            )
        try:
            content = jsonframes.loads(text_data, self.max_json_depth)
        except jsonframes.TooDeeplyNested as exc:
            raise ActionError(400, f"{exc} (max_json_depth).")
        except ValueError as exc:
            raise ActionError(400, f"Invalid JSON: {exc}.")
        if not isinstance(content, dict):
            raise ActionError(
                400,
                'Expected a JSON object such as {"action": "list", "route": "rooms/"}, got '
                f"{json_type(content)}.",
            )
        return content

    async def route_action(self, request):
        """Match the route (a pure step, recorded in the trace), then run the action."""
        scope = dict(
            self.scope, route=request.route, action=request.action, path_remaining=request.route
        )
        match = self.action_router.match(scope) if request.route else None
        record_step(self.action_router, scope, match)
        self.setup(self, self.scope, request)
        if match is not None:
            await self.check_permissions(request)
            leaf = innermost(match)
            await leaf.app(self, leaf.scope, request)
        elif request.route and request.action not in self.actions:
            raise ActionError(
                404,
                f'No route matches "{request.route}", and the consumer has no action '
                f'"{request.action}".',
            )
        else:
            await self.handle_action(request)

    async def reply(self, action, route, data=None, errors=None, status=200, request_id=None):
        """Send one reply frame in the rest_framework_channels format."""
        await self.send_json(reply_frame(action, route, data, errors, status, request_id))
        await self.replied(action, route, status, errors)

    async def replied(self, action, route, status, errors):
        """Tell the recorder, if it records this connection, that a reply went out."""
        recording = getattr(current_trace.get(), "recording", None)
        if recording is not None:  # the dashboard counts replies by status
            await recording.action_replied(self, action, route, status, errors)

    async def handle_exception(self, exc, content):
        """Reply to a frame whose handling raised ``exc``, as the exception handler says.

        Only strings from the frame are echoed as its action and route; if the reply cannot be
        encoded with the frame's ``request_id``, it is sent without it.
        """
        action, route = content.get("action"), content.get("route")
        context = {
            "consumer": self,
            "action": action if isinstance(action, str) else None,
            "route": route if isinstance(route, str) else None,
        }
        handler = self.get_exception_handler()
        if inspect.iscoroutinefunction(handler):
            answer = await handler(exc, context)
        else:
            answer = await database_sync_to_async(handler)(exc, context)
        if answer is None:
            raise exc
        frame = reply_frame(
            context["action"],
            context["route"],
            answer.get("data"),
            answer.get("errors"),
            answer["status"],
            content.get("request_id"),
        )
        try:
            text = await self.encode_json(frame)
        except (TypeError, ValueError, RecursionError):
            frame.pop("request_id", None)
            text = await self.encode_json(frame)
        await self.send(text_data=text)
        await self.replied(frame["action"], frame["route"], frame["status"], frame["errors"])

    def get_exception_handler(self):
        """Return the consumer's ``exception_handler``, else the setting's."""
        handler = inspect.getattr_static(self, "exception_handler")
        if isinstance(handler, staticmethod):
            handler = handler.__func__
        if handler is None:
            handler = app_settings()["EXCEPTION_HANDLER"]
        return import_string(handler) if isinstance(handler, str) else handler

    def check_group_name(self, name):
        if self.channel_layer is None:
            raise ImproperlyConfigured("Groups need a channel layer: set CHANNEL_LAYERS.")
        try:
            require_valid_group_name(self.channel_layer, name)
        except TypeError as exc:
            raise ActionError(400, f"{name!r} cannot be a group name: {exc}")

    async def join_group(self, name):
        """Add this connection to group ``name`` until it disconnects."""
        self.check_group_name(name)
        if name not in self.groups:
            await self.channel_layer.group_add(name, self.channel_name)
            self.groups = [*self.groups, name]  # never mutate a class-level list

    async def leave_group(self, name):
        if name in self.groups:
            await self.channel_layer.group_discard(name, self.channel_name)
            self.groups = [group for group in self.groups if group != name]

    async def broadcast(self, group, event_type, request, data, status):
        """Send an action's result to every member of ``group`` as an ``event_type`` event."""
        self.check_group_name(group)
        if self.broadcast_as_reply:
            event = {
                "type": event_type,
                **reply_frame(request.action, request.route, data, None, status),
            }
        else:
            event = {"type": event_type, "data": data, "status": status}
        await self.channel_layer.group_send(group, event)

    async def general_broadcast(self, event):
        """The default broadcast event: forwarded to the client without its ``type``."""
        await self.send_json({key: value for key, value in event.items() if key != "type"})

    @classmethod
    async def encode_json(cls, content):
        return json.dumps(content, cls=cls.json_encoder_class)


def reply_frame(action, route, data=None, errors=None, status=200, request_id=None):
    """Return a reply in the rest_framework_channels format (plus ``request_id`` if given)."""
    frame = {
        "errors": errors or [],
        "data": data,
        "action": action,
        "route": route,
        "status": status,
    }
    if request_id is not None:
        frame["request_id"] = request_id
    return frame
