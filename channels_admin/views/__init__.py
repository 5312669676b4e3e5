"""The admin dashboard at ``channels-routing/`` of an admin site."""

from channels_admin.views.pages import Dashboard

__all__ = ["Dashboard"]
