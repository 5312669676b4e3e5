"""Who may do what on the dashboard and the panel: the permissions of the ``Connection`` model.

Viewing (every page, its JSON, the debug-toolbar panel and its live view) needs an active staff
user with ``channels_admin.view_connection``; each action needs its own permission too, and
``CHANNELS_ADMIN["READ_ONLY"]`` refuses every action to everyone. Superusers have every
permission, as everywhere in Django.
"""

from channels_admin.conf import app_settings

VIEW = "channels_admin.view_connection"
CLOSE = "channels_admin.close_connection"
MANAGE_GROUPS = "channels_admin.manage_groups"
VIEW_EVENTS = "channels_admin.view_events"


def can_view(user):
    """Return whether ``user`` may see live connections (the dashboard and the panel)."""
    return bool(
        user is not None and user.is_active and getattr(user, "is_staff", False)
    ) and user.has_perm(VIEW)


def is_read_only():
    """Return whether the dashboard refuses every state-changing action."""
    return app_settings()["READ_ONLY"]


def can_act(user, permission):
    """Return whether ``user`` may take an action needing ``permission`` (never when read-only)."""
    return not is_read_only() and can_view(user) and user.has_perm(permission)


def refusal(permission):
    """Return why an action needing ``permission`` is refused, for a 403 page or JSON error."""
    if is_read_only():
        return "The dashboard is read-only (CHANNELS_ADMIN['READ_ONLY'] is True)."
    return "This action needs the %s permission." % permission
