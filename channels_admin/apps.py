from django.apps import AppConfig


class ChannelsAdminConfig(AppConfig):
    name = "channels_admin"
    verbose_name = "Channels routing"

    def ready(self):
        from channels_admin import checks, redis_timeouts  # noqa: F401  (register the checks)
