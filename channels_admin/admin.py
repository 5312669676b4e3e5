"""The dashboard on the admin: its pages under ``channels-routing/`` and an index entry.

Installing ``channels_admin`` puts both on the default site (Django's admin imports this
module). For another site: ``register_dashboard(my_site)``.
"""

from django.contrib import admin
from django.shortcuts import redirect
from django.urls import path, reverse

from channels_admin.models import Connection
from channels_admin.permissions import can_view
from channels_admin.urls import dashboard_urls


class ConnectionAdmin(admin.ModelAdmin):
    """The admin index entry, for those who may view live connections; it leads to the
    dashboard, and the admin's history links ("Recent actions") to a connection's page."""

    def has_module_permission(self, request):
        return can_view(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def get_urls(self):
        opts = self.model._meta
        name = "%s_%s_" % (opts.app_label, opts.model_name)
        view = self.admin_site.admin_view
        return [
            path("", view(self.changelist_view), name=name + "changelist"),
            path("<str:object_id>/change/", view(self.change_view), name=name + "change"),
        ]

    def changelist_view(self, request, extra_context=None):
        return redirect(
            reverse("admin:channels_admin_connections", current_app=self.admin_site.name)
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect(
            reverse(
                "admin:channels_admin_connection",
                args=[object_id],
                current_app=self.admin_site.name,
            )
        )


def register_dashboard(site):
    """Serve the dashboard under ``channels-routing/`` of ``site`` and list it on its index."""
    if getattr(site, "_channels_admin_dashboard", False):
        return
    site._channels_admin_dashboard = True
    site_urls = site.get_urls
    site.get_urls = lambda: dashboard_urls(site) + site_urls()
    site.register(Connection, ConnectionAdmin)


register_dashboard(admin.site)
