"""The servers page and the server of each connection, with the memory registry (one server:
this process) and with a Redis registry whose Redis is gone (503 naming it)."""

import pytest

from channels_admin.registry import set_registry
from channels_admin.registry.servers import server_id
from tests import dashboard_support
from tests.conftest import free_port
from tests.dashboard_support import DASHBOARD

registry = dashboard_support.registry
sockets = dashboard_support.sockets
admin = dashboard_support.admin

pytestmark = pytest.mark.django_db(transaction=True)


async def get(client, url, status=200):
    response = await client.get(url)
    assert response.status_code == status, response.content[:500]
    return response


async def test_servers_page_and_server_filter(admin, sockets):
    _, id = await sockets.connect("/ws/chat/lobby/")
    data = (await get(admin, DASHBOARD + "servers/?format=json")).json()
    [server] = data["servers"]
    assert server["id"] == server_id() and server["alive"] and server["live"] == 1
    assert {"host", "pid", "last_seen", "started"} <= set(server)
    html = (await get(admin, DASHBOARD + "servers/")).content.decode()
    assert server["id"] in html and "alive" in html

    found = (await get(admin, DASHBOARD + f"connections/?server={server_id()}&format=json")).json()
    assert [c["id"] for c in found["connections"]] == [id]
    assert found["connections"][0]["server"] == server_id()
    other = (await get(admin, DASHBOARD + "connections/?server=elsewhere&format=json")).json()
    assert other["total"] == 0
    overview = (await get(admin, DASHBOARD + "?format=json")).json()
    assert overview["servers"] == {"total": 1, "alive": 1}


@pytest.mark.redis
@pytest.mark.parametrize(
    "page", ["", "connections/", "connections/abc/", "decisions/", "servers/"]
)
async def test_every_registry_page_answers_503_naming_redis(admin, page):
    from channels_admin.registry.redis import RedisRegistry

    url = "redis://:s3cret@127.0.0.1:%d/0" % free_port()  # nothing listens there
    set_registry(RedisRegistry(url=url))
    try:
        data = (await get(admin, DASHBOARD + page + "?format=json", status=503)).json()
        assert "Redis at redis://:***@127.0.0.1:" in data["error"]
        assert "s3cret" not in data["error"]
        html = (await get(admin, DASHBOARD + page, status=503)).content.decode()
        assert "Redis at redis://:***@127.0.0.1:" in html and "s3cret" not in html
        assert 'class="errornote"' in html and "Servers" in html  # the dashboard's own look
    finally:
        set_registry(None)
