"""The admin's history of dashboard actions: one ``LogEntry`` per connection acted on.

Entries are for the ``Connection`` content type with the connection's id as ``object_id``, so
they show in the admin index's "Recent actions" and can be queried like any admin history.
"""

from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType

from channels_admin.models import Connection


def log_close(user, record, code, reason=None):
    """Note that ``user`` closed the connection of ``record`` with ``code``."""
    message = "Closed with code %d" % code
    if reason:
        message += " (reason: %s)" % reason
    _log(user, record, DELETION, message)


def log_group_change(user, record, group, joined):
    """Note that ``user`` added the connection of ``record`` to ``group`` or removed it."""
    message = ("Added to group %s" if joined else "Removed from group %s") % group
    _log(user, record, CHANGE, message)


def describe(record):
    """Return the connection's path and user, as an entry names them."""
    return "%s by %s" % (record["path"], record["user"] or "anonymous")


def _log(user, record, flag, message):
    LogEntry.objects.create(
        user_id=user.pk,
        content_type=ContentType.objects.get_for_model(Connection, for_concrete_model=False),
        object_id=record["id"],
        object_repr=("%s %s" % (record["id"], record["path"]))[:200],
        action_flag=flag,
        change_message="%s: %s." % (message, describe(record)),
    )
