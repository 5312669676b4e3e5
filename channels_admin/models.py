"""The dashboard's one model: no table, only a permission and an admin index entry."""

from django.db import models


class Connection(models.Model):
    """A live connection, as the dashboard lists it (the registry holds the data, not the
    database). It exists for the dashboard's permissions (see :mod:`channels_admin.permissions`),
    for the entry on the admin index, and for the admin's history of what was done to a
    connection (``LogEntry`` rows with the connection's id as ``object_id``)."""

    id = models.CharField(primary_key=True, max_length=32)

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("close_connection", "Can close a live connection from the dashboard"),
            ("view_connection", "Can view live connections"),
            ("manage_groups", "Can add or remove a connection's groups"),
            ("view_events", "Can view a connection's frames"),
        ]
        verbose_name = "live connection"

    def __str__(self):
        return self.id
