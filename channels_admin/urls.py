"""The dashboard's URL patterns for one admin site, to put before the site's own.

The default admin site gets them when ``channels_admin`` is installed (see
:func:`channels_admin.admin.register_dashboard`). In an ``AdminSite`` subclass::

    def get_urls(self):
        return dashboard_urls(self) + super().get_urls()

Names (in the site's namespace, e.g. ``admin:channels_admin_connections``):
``channels_admin_overview``, ``channels_admin_connections``, ``channels_admin_connection``
(id), ``channels_admin_close`` (id, POST), ``channels_admin_groups``,
``channels_admin_decisions``, ``channels_admin_resolve``, ``channels_admin_servers``,
``channels_admin_activity``.
"""

from channels_admin.views import Dashboard


def dashboard_urls(site):
    """URL patterns serving the dashboard under ``channels-routing/`` of ``site``."""
    return Dashboard(site).get_urls()
