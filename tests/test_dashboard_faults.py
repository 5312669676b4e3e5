"""The dashboard under faults: a registry that raises, a registry class that cannot be
imported, a channel layer that cannot send. Every page and action answers 503 saying what is
wrong (HTML in the admin's look, JSON ``{"error": ...}``), logs it once, and recovers."""

import logging

import pytest
from django.test import override_settings

from channels_admin.registry import RegistryUnavailable, set_registry
from channels_admin.registry.memory import MemoryRegistry
from tests import dashboard_support
from tests.conftest import free_port
from tests.dashboard_support import DASHBOARD

registry = dashboard_support.registry
sockets = dashboard_support.sockets
admin = dashboard_support.admin

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = [
    "",
    "connections/",
    "connections/0123456789abcdef/",
    "groups/",
    "decisions/",
    "resolve/?path=/ws/chat/lobby/",
]
READING_PAGES = ["", "connections/", "connections/0123456789abcdef/", "decisions/"]


class FailingRegistry(MemoryRegistry):
    """A memory registry whose reads raise ``error`` while it is set, as a store going away
    and coming back does."""

    error = None

    def __getattribute__(self, name):
        error = object.__getattribute__(self, "error")
        if error is not None and name in (
            "connections",
            "get",
            "decisions",
            "summary",
            "connection_ids",
        ):
            raise error
        return object.__getattribute__(self, name)


@pytest.fixture
def failing():
    registry = FailingRegistry()
    set_registry(registry)
    yield registry
    set_registry(None)


def with_format(url, name):
    return url + ("&" if "?" in url else "?") + "format=" + name


async def assert_unavailable(client, url, says, **headers):
    response = await client.get(with_format(url, "json"))
    assert response.status_code == 503, (url, response.content[:500])
    assert says in response.json()["error"]
    response = await client.get(url, **headers)
    assert response.status_code == 503, (url, response.content[:500])
    page = response.content.decode()
    assert says in page
    return page


@pytest.mark.parametrize(
    "error, says",
    [
        (RegistryUnavailable("Redis at 127.0.0.1:1 is unreachable"), "127.0.0.1:1 is unreachable"),
        (ConnectionError("reset by peer"), "ConnectionError: reset by peer"),
        (KeyError("live"), "KeyError"),
    ],
)
@pytest.mark.parametrize("page", READING_PAGES)
async def test_a_failing_registry_gives_503_pages_that_recover(admin, failing, page, error, says):
    failing.error = error
    html = await assert_unavailable(admin, DASHBOARD + page, says)
    assert "admin/css/base.css" in html and 'id="live"' in html  # the admin's look, retrying
    failing.error = None
    response = await admin.get(with_format(DASHBOARD + page, "json"))
    assert response.status_code == (404 if page.startswith("connections/0") else 200)


async def test_groups_page_gives_503_when_the_registry_is_unreachable(admin, failing):
    failing.error = RegistryUnavailable("Redis at 127.0.0.1:1 is unreachable")
    await assert_unavailable(admin, DASHBOARD + "groups/", "127.0.0.1:1 is unreachable")
    failing.error = None
    assert (await admin.get(DASHBOARD + "groups/?format=json")).status_code == 200


async def test_the_live_region_says_so_too(admin, failing):
    failing.error = RegistryUnavailable("Redis at 127.0.0.1:1 is unreachable")
    response = await admin.get(DASHBOARD + "connections/", headers={"HX-Target": "live"})
    assert response.status_code == 503
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="live"') and "unreachable" in body
    assert "<html" not in body


async def test_an_unimportable_registry_class_gives_503_naming_the_setting(admin, registry):
    settings = {"REGISTRY": "channels_admin.registry.nowhere.Registry"}
    with override_settings(CHANNELS_ADMIN=settings):
        for page in PAGES[:-1]:
            await assert_unavailable(admin, DASHBOARD + page, "registry.nowhere.Registry")
    set_registry(registry)
    response = await admin.get(DASHBOARD + "connections/?format=json")
    assert response.status_code == 200


async def test_each_failure_is_logged_once_and_the_recovery_too(admin, failing, caplog):
    failing.error = RegistryUnavailable("Redis at 127.0.0.1:1 is unreachable")
    with caplog.at_level(logging.INFO, logger="channels_admin.dashboard"):
        for _ in range(3):
            assert (await admin.get(DASHBOARD + "decisions/?format=json")).status_code == 503
        failing.error = None
        assert (await admin.get(DASHBOARD + "decisions/?format=json")).status_code == 200
        assert (await admin.get(DASHBOARD + "decisions/?format=json")).status_code == 200
    records = [r for r in caplog.records if r.name.startswith(("channels_admin", "django"))]
    assert [r.levelname for r in records] == ["ERROR", "INFO"]
    assert "127.0.0.1:1 is unreachable" in records[0].getMessage()


async def test_close_answers_503_when_the_layer_cannot_send(admin, sockets):
    _, connection = await sockets.connect("/ws/chat/lobby/")
    csrf_free = {"code": "4001"}
    port = free_port()  # nothing listens there
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{port}/0"]},
        }
    }
    url = DASHBOARD + f"connections/{connection}/close/"
    with override_settings(CHANNEL_LAYERS=layers):
        response = await admin.post(url + "?format=json", csrf_free)
        assert response.status_code == 503
        assert str(port) in response.json()["error"] or "Connect" in response.json()["error"]
        response = await admin.post(url, csrf_free)
        assert response.status_code == 503 and b"admin/css/base.css" in response.content
    response = await admin.post(url + "?format=json", csrf_free)
    assert response.json() == {"closing": connection, "code": 4001}
