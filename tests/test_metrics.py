"""ChannelsAdminCollector: what it exports, read back with prometheus_client's own parser."""

import pytest
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.apps import apps
from django.test import override_settings
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, make_asgi_app
from prometheus_client.parser import text_string_to_metric_families

from channels_admin import apps as channels_admin_apps
from channels_admin.metrics import ChannelsAdminCollector
from channels_admin.registry.base import Registry
from channels_admin.registry.servers import server_id
from tests import dashboard_support

registry = dashboard_support.registry
sockets = dashboard_support.sockets

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fresh_counters():
    with override_settings(CHANNELS_ADMIN={}):
        yield  # leaving the override resets the counters again


def samples(text):
    """``{(name, sorted labels): value}`` of an exposition, as Prometheus would read it."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape():
    collectors = CollectorRegistry()
    collectors.register(ChannelsAdminCollector())
    return samples(generate_latest(collectors).decode())


async def test_the_collector_exports_live_connections_counters_and_groups(fresh_counters, sockets):
    lobby, _ = await sockets.connect("/ws/chat/lobby/")
    await sockets.connect("/ws/chat/kitchen/")
    await sockets.connect("/ws/number/42/page/3/")
    await sockets.refused("/ws/nowhere/")
    await lobby.send_json_to({"text": "hi"})
    await lobby.receive_json_from()

    exported = await sync_to_async(scrape)()
    live = "channels_admin_live_connections"
    labels = (
        ("consumer", "chat.consumers.ChatConsumer"),
        ("server", server_id()),
        ("type", "websocket"),
    )
    assert exported[(live, labels)] == 2
    number = (
        ("consumer", "chat.consumers.NumberConsumer"),
        ("server", server_id()),
        ("type", "websocket"),
    )
    assert exported[(live, number)] == 1
    total = "channels_admin_connections_total"
    assert exported[(total, (("outcome", "hit"),))] == 3
    assert exported[(total, (("outcome", "miss"),))] == 1
    assert exported[(total, (("outcome", "refused"),))] == 1
    assert exported[(total, (("outcome", "error"),))] == 0
    assert exported[("channels_admin_messages_total", (("direction", "in"),))] == 1
    # The greeting of the number socket and the chat message back.
    assert exported[("channels_admin_messages_total", (("direction", "out"),))] == 2
    assert exported[("channels_admin_bytes_total", (("direction", "in"),))] == len(
        '{"text": "hi"}'
    )
    assert exported[("channels_admin_groups", ())] == 2


async def test_prometheus_clients_asgi_app_collects_inside_the_event_loop(fresh_counters, sockets):
    await sockets.connect("/ws/chat/lobby/")
    collectors = CollectorRegistry()
    collectors.register(ChannelsAdminCollector())
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/metrics",
        "query_string": b"",
        "headers": [],
    }
    app = ApplicationCommunicator(make_asgi_app(collectors), scope)
    await app.send_input({"type": "http.request", "body": b""})
    start = await app.receive_output(5)
    assert start["status"] == 200
    body = (await app.receive_output(5))["body"].decode()
    live = samples(body)
    key = (
        "channels_admin_live_connections",
        (
            ("consumer", "chat.consumers.ChatConsumer"),
            ("server", server_id()),
            ("type", "websocket"),
        ),
    )
    assert live[key] == 1


def test_the_prometheus_setting_registers_the_collector_on_the_default_registry():
    config = apps.get_app_config("channels_admin")
    try:
        with override_settings(CHANNELS_ADMIN={"PROMETHEUS": True}):
            config.ready()
            config.ready()  # once only, however often ready() runs
        names = [
            family.name for family in text_string_to_metric_families(generate_latest().decode())
        ]
        assert names.count("channels_admin_live_connections") == 1
    finally:
        if channels_admin_apps._collector is not None:
            REGISTRY.unregister(channels_admin_apps._collector)
            channels_admin_apps._collector = None


async def test_a_backend_without_its_own_metrics_gets_them_from_its_connections(
    fresh_counters, sockets
):
    await sockets.connect("/ws/chat/lobby/")
    await sockets.connect("/ws/number/42/page/3/")
    memory = sockets.registry
    assert await Registry.metrics(memory) == await memory.metrics()
    assert await Registry.activity(memory) == await memory.activity()
