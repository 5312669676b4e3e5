from django.apps import AppConfig


class ChannelsAdminConfig(AppConfig):
    name = "channels_admin"
    verbose_name = "Channels routing"

    def ready(self):
        from channels_admin import checks  # noqa: F401  (registers the settings check)
