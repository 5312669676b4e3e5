from django.apps import AppConfig


class ChannelsAdminConfig(AppConfig):
    name = "channels_admin"
    verbose_name = "Channels routing"

    def ready(self):
        from channels_admin import checks, redis_timeouts  # noqa: F401  (register the checks)
        from channels_admin.conf import app_settings

        if app_settings()["PROMETHEUS"]:
            register_collector()


def register_collector():
    """Register ChannelsAdminCollector on prometheus_client's default registry, once (the
    check ``channels_admin.E015`` says so when prometheus_client is missing)."""
    global _collector
    if _collector is not None:
        return
    try:
        from prometheus_client import REGISTRY

        from channels_admin.metrics import ChannelsAdminCollector
    except ImportError:
        return
    _collector = ChannelsAdminCollector()
    REGISTRY.register(_collector)


_collector = None
