"""The dashboard's one model: no table, only a permission and an admin index entry."""

from django.db import models


class Connection(models.Model):
    """A live connection, as the dashboard lists it (the registry holds the data, not the
    database). It exists for ``channels_admin.close_connection``, the permission to close a
    connection from the dashboard, and for the entry on the admin index."""

    id = models.CharField(primary_key=True, max_length=32)

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("close_connection", "Can close a live connection from the dashboard")]
        verbose_name = "live connection"

    def __str__(self):
        return self.id
