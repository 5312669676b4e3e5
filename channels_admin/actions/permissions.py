"""Who may connect to an ``AsyncAPIConsumer`` and who may run which action.

Each method may be ``async def`` or a plain ``def``; a plain one runs in a worker thread, so it
may query the database. A consumer's ``permission_classes`` guard the connection
(``can_connect``) and every action on it; a handler's guard the handler's actions.

Permission classes compose like Django REST framework's: ``IsAuthenticated | ReadOnly``,
``IsAuthenticated & IsOwner``, ``~IsAuthenticated``. ``&`` and ``|`` combine both questions;
``~`` negates ``has_permission`` only and lets everyone connect, since negating "may connect"
would refuse every connection for the permissions that only guard actions.
"""

import functools
import inspect

from channels.db import database_sync_to_async


class OperandHolder:
    """A permission class made of others with ``&``, ``|`` or ``~``; calling it makes the
    combined permission, as calling a permission class makes a permission."""

    def __init__(self, operator_class, *operand_classes):
        self.operator_class = operator_class
        self.operand_classes = operand_classes

    def __call__(self):
        return self.operator_class(*(operand() for operand in self.operand_classes))

    def __and__(self, other):
        return OperandHolder(AND, self, other)

    def __or__(self, other):
        return OperandHolder(OR, self, other)

    def __rand__(self, other):
        return OperandHolder(AND, other, self)

    def __ror__(self, other):
        return OperandHolder(OR, other, self)

    def __invert__(self):
        return OperandHolder(NOT, self)

    def __repr__(self):
        return f"{self.operator_class.__name__}{self.operand_classes!r}"


class BasePermissionMetaclass(type):
    """Gives permission classes the ``&``, ``|`` and ``~`` operators."""

    __and__ = OperandHolder.__and__
    __or__ = OperandHolder.__or__
    __rand__ = OperandHolder.__rand__
    __ror__ = OperandHolder.__ror__
    __invert__ = OperandHolder.__invert__


class BasePermission(metaclass=BasePermissionMetaclass):
    """Allows everything; override ``can_connect`` and/or ``has_permission`` to refuse."""

    async def can_connect(self, scope, consumer, message):
        """May this WebSocket connect? ``message`` is the ``websocket.connect`` event."""
        return True

    async def has_permission(self, scope, handler, action, **kwargs):
        """May ``handler`` run ``action``? ``kwargs`` is the frame's payload."""
        return True


class AllowAny(BasePermission):
    """Anyone may connect and run any action."""


class IsAuthenticated(BasePermission):
    """Anyone may connect; only a logged-in ``scope["user"]`` may run actions (others get 403).

    As in rest_framework_channels. ``scope["user"]`` is set by ``AuthMiddlewareStack``.
    """

    async def has_permission(self, scope, handler, action, **kwargs):
        return is_authenticated(scope)


class IsAuthenticatedStrictly(IsAuthenticated):
    """Only a logged-in ``scope["user"]`` may connect (others are closed with 4403) and act."""

    async def can_connect(self, scope, consumer, message):
        return is_authenticated(scope)


class AND(BasePermission):
    """Allowed when both permissions allow."""

    def __init__(self, first, second):
        self.first, self.second = first, second

    async def can_connect(self, scope, consumer, message, /):
        return await ask(self.first.can_connect, scope, consumer, message) and await ask(
            self.second.can_connect, scope, consumer, message
        )

    async def has_permission(self, scope, handler, action, /, **kwargs):
        return await ask(self.first.has_permission, scope, handler, action, **kwargs) and (
            await ask(self.second.has_permission, scope, handler, action, **kwargs)
        )


class OR(BasePermission):
    """Allowed when either permission allows."""

    def __init__(self, first, second):
        self.first, self.second = first, second

    async def can_connect(self, scope, consumer, message, /):
        return await ask(self.first.can_connect, scope, consumer, message) or await ask(
            self.second.can_connect, scope, consumer, message
        )

    async def has_permission(self, scope, handler, action, /, **kwargs):
        return await ask(self.first.has_permission, scope, handler, action, **kwargs) or (
            await ask(self.second.has_permission, scope, handler, action, **kwargs)
        )


class NOT(BasePermission):
    """Allowed to act when the permission refuses; everyone may connect."""

    def __init__(self, permission):
        self.permission = permission

    async def has_permission(self, scope, handler, action, /, **kwargs):
        return not await ask(self.permission.has_permission, scope, handler, action, **kwargs)


def is_authenticated(scope):
    user = scope.get("user")
    return user is not None and user.is_authenticated


async def ask(method, /, *args, **payload):
    """Call a permission method, sync or async, and return its answer as a bool.

    ``args`` fill the method's leading parameters; of ``payload`` (the client's keys) it gets
    only what it can take by keyword without clashing with them.
    """
    call = functools.partial(method, *args, **keywords_for(method, len(args), payload))
    if inspect.iscoroutinefunction(method):
        return bool(await call())
    return bool(await database_sync_to_async(call)())


def keywords_for(method, positional, payload):
    """Return the items of ``payload`` that ``method`` takes by keyword after ``positional``
    arguments (and ``self``), so that no client key can clash with a parameter."""
    if not payload:
        return payload
    function = getattr(method, "__func__", method)
    taken, takes_any, named = keyword_parameters(function, positional + inspect.ismethod(method))
    if takes_any:
        return {key: value for key, value in payload.items() if key not in taken}
    return {key: value for key, value in payload.items() if key in named}


@functools.lru_cache(maxsize=256)
def keyword_parameters(function, leading):
    """For ``function`` called with ``leading`` positional arguments: the names those fill,
    whether it takes ``**kwargs``, and the names it still takes by keyword."""
    parameters = list(inspect.signature(function).parameters.values())
    taken = {p.name for p in parameters[:leading] if p.kind is not p.POSITIONAL_ONLY}
    takes_any = any(p.kind is p.VAR_KEYWORD for p in parameters)
    keyword_kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    named = {p.name for p in parameters[leading:] if p.kind in keyword_kinds}
    return frozenset(taken), takes_any, frozenset(named)
