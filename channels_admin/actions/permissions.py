"""Who may connect to an ``AsyncAPIConsumer`` and who may run which action.

Each method may be ``async def`` or a plain ``def``; a plain one runs in a worker thread, so it
may query the database. A consumer's ``permission_classes`` guard the connection
(``can_connect``) and every action on it; a handler's guard the handler's actions.
"""

import inspect

from channels.db import database_sync_to_async


class BasePermission:
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
    """Only a logged-in ``scope["user"]`` (set by ``AuthMiddlewareStack``)."""

    async def can_connect(self, scope, consumer, message):
        return is_authenticated(scope)

    async def has_permission(self, scope, handler, action, **kwargs):
        return is_authenticated(scope)


def is_authenticated(scope):
    user = scope.get("user")
    return user is not None and user.is_authenticated


async def ask(method, *args, **kwargs):
    """Call a permission method, sync or async, and return its answer as a bool."""
    if inspect.iscoroutinefunction(method):
        return bool(await method(*args, **kwargs))
    return bool(await database_sync_to_async(method)(*args, **kwargs))
