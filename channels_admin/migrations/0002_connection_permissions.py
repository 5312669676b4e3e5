from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("channels_admin", "0001_initial")]

    operations = [
        migrations.AlterModelOptions(
            name="connection",
            options={
                "default_permissions": (),
                "managed": False,
                "permissions": [
                    ("close_connection", "Can close a live connection from the dashboard"),
                    ("view_connection", "Can view live connections"),
                    ("manage_groups", "Can add or remove a connection's groups"),
                    ("view_events", "Can view a connection's frames"),
                ],
                "verbose_name": "live connection",
            },
        ),
    ]
