"""Action routing inside a consumer: ``routepatterns``, ``as_aaah()``, ``include()``.

rest_framework_channels' API and wire format, without Django REST framework, plus
``include()`` to any depth. See :mod:`channels_admin.actions.consumer` for the wire format,
the error statuses and the close codes.
"""

from channels_admin.actions.consumer import AsyncAPIConsumer
from channels_admin.actions.decorators import async_action
from channels_admin.actions.exceptions import ActionError
from channels_admin.actions.handlers import (
    ActionRequest,
    AsyncActionHandler,
    AsyncAPIActionHandler,
)
from channels_admin.actions.routing import ActionRouter, include

__all__ = [
    "ActionError",
    "ActionRequest",
    "ActionRouter",
    "AsyncAPIActionHandler",
    "AsyncAPIConsumer",
    "AsyncActionHandler",
    "async_action",
    "include",
]
