"""How an action's failure becomes a reply: a status and a list of error strings."""

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404

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
