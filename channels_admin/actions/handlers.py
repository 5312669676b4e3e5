"""Action handlers: the classes whose ``@async_action`` methods answer a client's frames."""

import functools
import inspect
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from channels_admin.actions.exceptions import ActionError
from channels_admin.actions.permissions import AllowAny, ask
from channels_admin.actions.routing import ActionRouter

#: Frame keys that address the action; every other key is the action's payload.
ADDRESS_KEYS = ("action", "route", "request_id")


@dataclass(frozen=True)
class ActionRequest:
    """One client frame: the action to run, the route it was sent to, and its payload."""

    action: str
    route: str
    payload: dict
    request_id: object = None

    @classmethod
    def from_content(cls, content):
        """Read a decoded frame; raise ``ActionError(400)`` naming what is wrong with it."""
        action = content.get("action")
        if action is None:
            raise ActionError(
                400, 'Missing "action": send e.g. {"action": "list", "route": "rooms/"}.'
            )
        if not isinstance(action, str):
            raise ActionError(400, f'"action" must be a string, not {json_type(action)}.')
        route = content.get("route") or ""
        if not isinstance(route, str):
            raise ActionError(400, f'"route" must be a string, not {json_type(route)}.')
        payload = {key: value for key, value in content.items() if key not in ADDRESS_KEYS}
        return cls(action, route, payload, content.get("request_id"))


def json_type(value):
    """The JSON name of a decoded value's type, for error messages."""
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")


def collect_actions(cls):
    """``{action name: method name}`` for every ``@async_action`` method of ``cls``."""
    actions = {}
    for attribute in dir(cls):
        options = getattr(getattr(cls, attribute, None), "action_options", None)
        if options is None:
            continue
        if options.name in actions:
            raise ImproperlyConfigured(
                f"{cls.__qualname__}: methods {actions[options.name]!r} and {attribute!r} are "
                f"both the action {options.name!r}; give one of them another name=."
            )
        actions[options.name] = attribute
    return actions


class AsyncActionHandler:
    """Runs the actions of one route: a fresh instance per frame, made by ``as_aaah()``.

    While an action runs, ``self.scope`` is the connection's scope plus the action's
    ``url_route``, ``self.args``/``self.kwargs`` what the route captured (the connection's own
    URL kwargs included), ``self.request`` the frame and ``self.consumer`` the consumer, for
    ``join_group()`` and ``channel_layer``. A handler's own ``routepatterns`` nest under the
    route that leads to it.
    """

    routepatterns = []
    #: The route kwarg whose value names the group a ``mode="broadcast"`` action sends to.
    group_send_lookup_kwargs = None
    #: Set per class: ``{action name: method name}`` and the router of ``routepatterns``.
    actions = {}
    action_router = ActionRouter([])

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.actions = collect_actions(cls)
        cls.action_router = ActionRouter(cls.routepatterns)

    @classmethod
    def as_aaah(cls, **initkwargs):
        """The routable form of this handler (an "async API action handler"), like
        ``as_view()``: each call makes an instance, sets ``initkwargs`` on it and runs the
        action."""
        for key in initkwargs:
            if not hasattr(cls, key):
                raise TypeError(
                    f"{cls.__name__}.as_aaah() got {key!r}, which is not an attribute of "
                    f"{cls.__name__}."
                )

        async def aaah(consumer, scope, request):
            handler = cls()
            handler.__dict__.update(initkwargs)
            handler.setup(consumer, scope, request)
            await handler.handle_action(request)

        aaah.handler_class = cls
        aaah.handler_initkwargs = initkwargs
        functools.update_wrapper(aaah, cls, updated=())
        return aaah

    def setup(self, consumer, scope, request):
        self.consumer = consumer
        self.scope = scope
        self.request = request
        self.action = request.action
        url_route = scope.get("url_route") or {}
        self.args = tuple(url_route.get("args", ()))
        self.kwargs = dict(url_route.get("kwargs", {}))

    async def check_permissions(self, request):
        """Raise ``ActionError(403)`` if the action may not run; this base allows all."""

    async def handle_action(self, request):
        """Check permissions, run the action, then reply and/or broadcast as it declares."""
        await self.check_permissions(request)
        method_name = self.actions.get(request.action)
        if method_name is None:
            allowed = ", ".join(sorted(self.actions)) or "none"
            raise ActionError(
                405, f'Action "{request.action}" is not allowed here (allowed: {allowed}).'
            )
        method = getattr(self, method_name)
        signature = inspect.signature(method.__func__)
        arguments = request.payload
        if "action" in signature.parameters:  # rest_framework_channels passes action=
            arguments = {**arguments, "action": request.action}
        try:
            # Bound with self, so that a payload key named like self is refused, not a crash.
            signature.bind(self, **arguments)
        except TypeError as exc:
            raise ActionError(400, f'Invalid arguments for action "{request.action}": {exc}.')
        options = method.action_options
        group = self.get_group_name() if options.mode == "broadcast" else None
        result = await method(**arguments)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise TypeError(
                f"{type(self).__qualname__}.{method_name}() returned {result!r}; an action "
                "returns (data, status)."
            )
        data, status = result
        if options.mode == "response" or (
            options.mode == "broadcast" and options.send_response_in_broadcast
        ):
            await self.consumer.reply(
                request.action,
                request.route,
                data=data,
                status=status,
                request_id=request.request_id,
            )
        if group is not None:
            await self.consumer.broadcast(group, options.broadcast_type, request, data, status)

    def get_group_name(self):
        """The group of a broadcast: ``str()`` of the route kwarg ``group_send_lookup_kwargs``
        names (the handler's own setting, else the consumer's). Override to add a prefix."""
        lookup = self.group_send_lookup_kwargs or self.consumer.group_send_lookup_kwargs
        if lookup is None:
            raise ImproperlyConfigured(
                f"{type(self).__qualname__} broadcasts, but neither it nor "
                f"{type(self.consumer).__qualname__} sets group_send_lookup_kwargs."
            )
        if lookup not in self.kwargs:
            raise ImproperlyConfigured(
                f"{type(self).__qualname__}.group_send_lookup_kwargs is {lookup!r}, but the "
                f"route captured only {sorted(self.kwargs)}."
            )
        return str(self.kwargs[lookup])


class AsyncAPIActionHandler(AsyncActionHandler):
    """An action handler guarded by ``permission_classes`` (default: ``AllowAny``)."""

    permission_classes = (AllowAny,)

    def get_permissions(self):
        return [permission_class() for permission_class in self.permission_classes]

    async def check_permissions(self, request):
        for permission in self.get_permissions():
            if not await ask(
                permission.has_permission, self.scope, self, request.action, **request.payload
            ):
                raise ActionError(403, "You do not have permission to perform this action.")
