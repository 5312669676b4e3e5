"""How an action's failure becomes a reply: a status and a list of error strings.

A consumer hands every exception raised while it handles a frame to its exception handler
(``AsyncAPIConsumer.exception_handler``, else ``CHANNELS_ADMIN["EXCEPTION_HANDLER"]``, else
:func:`default_exception_handler`), which says what to reply, or to re-raise.
"""

import logging

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404

logger = logging.getLogger("channels_admin.actions")

INTERNAL_ERROR = "Internal server error."


class ActionError(Exception):
    """Raise from an action (or its permission check) to reply with ``status`` and ``errors``.

    ``raise ActionError(404, "No room 5.")`` replies ``{"status": 404, "errors": ["No room 5."]}``
    and leaves the connection open.
    """

    def __init__(self, status, *errors):
        super().__init__(status, *errors)
        self.status = status
        self.errors = list(errors)


def status_and_errors(exc):
    """``(status, errors)`` to reply for ``exc``; status 500 means "log it, say nothing more".

    Besides :class:`ActionError`, Django's own exceptions map as they would in a view:
    ``PermissionDenied`` to 403, ``ObjectDoesNotExist``/``Http404`` to 404 and
    ``ValidationError`` to 400 with its messages.
    """
    if isinstance(exc, ActionError):
        return exc.status, exc.errors
    if isinstance(exc, PermissionDenied):
        return 403, [str(exc) or "You do not have permission to perform this action."]
    if isinstance(exc, (ObjectDoesNotExist, Http404)):
        return 404, ["Not found."]
    if isinstance(exc, ValidationError):
        return 400, exc.messages
    return 500, [INTERNAL_ERROR]


def default_exception_handler(exc, context):
    """Reply ``{"status", "errors"}`` for ``exc`` (see :func:`status_and_errors`); log a 500.

    The default ``CHANNELS_ADMIN["EXCEPTION_HANDLER"]``. An exception handler takes the
    exception and ``context`` (``{"consumer", "action", "route"}``; action and route are None
    when the frame had none) and returns the reply's ``status`` and ``errors`` (and optionally
    ``data``) as a dict, or None to re-raise the exception out of the consumer.
    """
    status, errors = status_and_errors(exc)
    if status == 500:
        logger.error(
            "Action %r on route %r failed", context["action"], context["route"], exc_info=exc
        )
    return {"status": status, "errors": errors}


def debug_exception_handler(exc, context):
    """Re-raise what would be a 500 and reply to the rest as the default handler does.

    For tests: ``CHANNELS_ADMIN = {"EXCEPTION_HANDLER":
    "channels_admin.actions.exceptions.debug_exception_handler"}`` makes an action's bug raise
    out of the consumer (``WebsocketCommunicator`` re-raises it in the test), while 4xx
    replies stay replies.
    """
    status, errors = status_and_errors(exc)
    return None if status == 500 else {"status": status, "errors": errors}
