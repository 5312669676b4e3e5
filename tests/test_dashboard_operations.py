"""The dashboard as an operations tool: who may see and do what, read-only mode, group join and
leave, bulk close, and the admin's history of every action.

Connections are real (the demo's application through ``WebsocketCommunicator``, on the
in-memory channel layer); a join or leave is proven by a ``group_send`` reaching the client, or
not.
"""

import asyncio
import time
from contextlib import contextmanager

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.test import override_settings

from channels_admin.registry import get_registry, set_registry
from tests import dashboard_support
from tests.dashboard_support import DASHBOARD, client_for, make_user

registry = dashboard_support.registry
sockets = dashboard_support.sockets

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = ["", "connections/", "groups/", "decisions/", "resolve/?path=/ws/chat/lobby/"]
ROLES = {
    "staff without view": {"staff": True},
    "viewer": {"staff": True, "permissions": ["view_connection"]},
    "closer": {"staff": True, "permissions": ["view_connection", "close_connection"]},
    "group manager": {"staff": True, "permissions": ["view_connection", "manage_groups"]},
    "superuser": {"superuser": True},
}
MESSAGE = {"type": "chat.message", "text": "to the group", "author": "ops"}


@contextmanager
def writable(registry, read_only):
    """``CHANNELS_ADMIN["READ_ONLY"]`` as given, keeping the test's registry (changing the
    setting resets the registry)."""
    with override_settings(CHANNELS_ADMIN={"READ_ONLY": read_only}):
        set_registry(registry)
        yield


def json_url(url):
    return url + ("&" if "?" in url else "?") + "format=json"


async def role_client(role):
    if role == "anonymous":
        return await client_for(None)
    return await client_for(await make_user(role.replace(" ", "-"), **ROLES[role]))


async def wait_for(condition, what, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{what} did not happen within {timeout}s")


async def log_entries():
    def read():
        return [
            (entry.user.username, entry.object_id, entry.action_flag, entry.change_message)
            for entry in LogEntry.objects.select_related("user", "content_type").order_by("pk")
            if entry.content_type.model_class().__name__ == "Connection"
        ]

    return await sync_to_async(read)()


# The permission matrix: every URL, HTML and JSON, for every kind of user.


def may(role, action, read_only=False):
    """Whether ``role`` may take ``action`` (None: only view)."""
    if role in ("anonymous", "staff without view"):
        return False
    if action is None:
        return True
    if read_only:
        return False
    needs = {"close": "close_connection", "join": "manage_groups", "leave": "manage_groups"}
    return role == "superuser" or needs[action] in ROLES[role].get("permissions", ())


@pytest.mark.parametrize("read_only", [False, True], ids=["writable", "read-only"])
@pytest.mark.parametrize("role", ["anonymous", *ROLES])
async def test_permission_matrix_on_every_url(role, read_only, sockets):
    with writable(sockets.registry, read_only):
        client = await role_client(role)
        communicator, lobby = await sockets.connect("/ws/chat/lobby/")
        pages = [*PAGES, f"connections/{lobby}/"]
        for page in pages:
            for url in (DASHBOARD + page, json_url(DASHBOARD + page)):
                response = await client.get(url)
                if role == "anonymous":
                    assert response.status_code == 302, url
                    assert response["Location"].startswith("/admin/login/?next=")
                elif not may(role, None):
                    assert response.status_code == 403, url
                    if "format=json" in url:
                        assert "channels_admin.view_connection" in response.json()["error"]
                    else:
                        html = response.content.decode()
                        assert "You don’t have permission" in html
                        assert "channels_admin.view_connection" in html
                        assert "admin/css/base.css" in html  # the admin's own look
                else:
                    assert response.status_code == 200, url

        actions = [
            ("join", f"connections/{lobby}/join/", {"group": "ops_room"}),
            ("leave", f"connections/{lobby}/leave/", {"group": "ops_room"}),
            ("close", "connections/close/", {"ids": [lobby]}),  # asks to confirm only
            ("close", f"connections/{lobby}/close/", {"code": "4000"}),
        ]
        for action, page, data in actions:
            response = await client.post(json_url(DASHBOARD + page), data)
            if role == "anonymous":
                assert response.status_code == 302
            elif may(role, action, read_only):
                assert response.status_code == 200, (page, response.content)
            else:
                assert response.status_code == 403, (page, response.content)
                if may(role, None):
                    error = response.json()["error"]
                    assert ("read-only" in error) if read_only else ("permission" in error)
        closed = may(role, "close", read_only)
        if closed:
            assert (await communicator.receive_output())["code"] == 4000
        else:
            assert await communicator.receive_nothing()


async def test_forms_show_only_to_those_who_may_act(sockets):
    _, lobby = await sockets.connect("/ws/chat/lobby/")
    viewer = await role_client("viewer")
    html = (await viewer.get(DASHBOARD + f"connections/{lobby}/")).content.decode()
    assert "channels_admin.close_connection" in html and "channels_admin.manage_groups" in html
    assert "/close/" not in html and "/join/" not in html
    listing = (await viewer.get(DASHBOARD + "connections/")).content.decode()
    assert 'id="changelist-form"' not in listing and 'name="ids"' not in listing

    boss = await role_client("superuser")
    html = (await boss.get(DASHBOARD + f"connections/{lobby}/")).content.decode()
    assert f'action="{DASHBOARD}connections/{lobby}/close/"' in html
    assert f'action="{DASHBOARD}connections/{lobby}/join/"' in html
    assert f'action="{DASHBOARD}connections/{lobby}/leave/"' in html
    assert 'name="reason"' in html and "data-confirm=" in html
    listing = (await boss.get(DASHBOARD + "connections/")).content.decode()
    assert f'action="{DASHBOARD}connections/close/"' in listing
    assert f'name="ids" value="{lobby}"' in listing
    groups = (await boss.get(DASHBOARD + "groups/")).content.decode()
    assert 'name="group" value="chat_lobby"' in groups

    with writable(sockets.registry, True):
        html = (await boss.get(DASHBOARD + f"connections/{lobby}/")).content.decode()
        assert "read-only" in html
        assert '<form method="post"' not in html
        listing = (await boss.get(DASHBOARD + "connections/")).content.decode()
        assert 'name="ids"' not in listing
        groups = (await boss.get(DASHBOARD + "groups/")).content.decode()
        assert 'name="group"' not in groups


async def test_the_admin_index_lists_the_dashboard_only_to_those_who_may_view(registry):
    viewer = await role_client("viewer")
    assert (
        'href="/admin/channels_admin/connection/"'
        in (await viewer.get("/admin/")).content.decode()
    )
    blind = await role_client("staff without view")
    assert "channels_admin/connection/" not in (await blind.get("/admin/")).content.decode()


# Group join and leave.


async def test_join_and_leave_change_what_a_group_send_reaches(sockets):
    communicator, lobby = await sockets.connect("/ws/chat/lobby/")
    manager = await role_client("group manager")
    layer = get_channel_layer()

    response = await manager.post(
        json_url(DASHBOARD + f"connections/{lobby}/join/"), {"group": "ops_room"}
    )
    assert response.json() == {"connection": lobby, "group": "ops_room", "joined": True}
    await layer.group_send("ops_room", MESSAGE)
    assert await communicator.receive_json_from() == {"text": "to the group", "author": "ops"}

    async def attributed():
        record = await registry_record(lobby)
        return record["group_changes"] and "ops_room" in record["groups"]

    await wait_for(attributed, "the join's attribution")
    [change] = (await registry_record(lobby))["group_changes"]
    assert (change["group"], change["action"], change["by"]) == (
        "ops_room",
        "join",
        "group-manager",
    )
    html = (await manager.get(DASHBOARD + f"connections/{lobby}/")).content.decode()
    assert "added to" in html and "<strong>group-manager</strong>" in html

    response = await manager.post(DASHBOARD + f"connections/{lobby}/leave/", {"group": "ops_room"})
    assert response.status_code == 302
    await layer.group_send("ops_room", MESSAGE)
    assert await communicator.receive_nothing()
    await layer.group_send("chat_lobby", MESSAGE)  # its own group still reaches it
    assert await communicator.receive_json_from() == {"text": "to the group", "author": "ops"}

    async def left():
        record = await registry_record(lobby)
        return "ops_room" in record["groups_left"] and len(record["group_changes"]) == 2

    await wait_for(left, "the leave's attribution")
    assert await log_entries() == [
        ("group-manager", lobby, CHANGE, "Added to group ops_room: /ws/chat/lobby/ by anonymous."),
        (
            "group-manager",
            lobby,
            CHANGE,
            "Removed from group ops_room: /ws/chat/lobby/ by anonymous.",
        ),
    ]


async def registry_record(connection_id):
    return await get_registry().get(connection_id)


@pytest.mark.parametrize("group", ["", "has space", "ünïcode", "x" * 100, "a/b"])
async def test_group_names_are_validated_like_channels_does(group, sockets):
    communicator, lobby = await sockets.connect("/ws/chat/lobby/")
    boss = await role_client("superuser")
    url = DASHBOARD + f"connections/{lobby}/join/"
    response = await boss.post(json_url(url), {"group": group})
    assert response.status_code == 400
    assert "ASCII alphanumerics, hyphens, underscores, or periods" in response.json()["error"]
    page = await boss.post(url, {"group": group})
    assert page.status_code == 400
    assert "ASCII alphanumerics" in page.content.decode()  # the message, on the page
    assert await log_entries() == []
    assert await communicator.receive_nothing()


async def test_join_an_unknown_connection_is_404(registry):
    boss = await role_client("superuser")
    response = await boss.post(
        json_url(DASHBOARD + "connections/0123456789abcdef/join/"), {"group": "ops"}
    )
    assert response.status_code == 404
    assert "No live connection" in response.json()["error"]


# Bulk close.


async def test_bulk_close_asks_first_then_closes_every_selected_connection(sockets):
    lobby_socket, lobby = await sockets.connect("/ws/chat/lobby/")
    kitchen_socket, kitchen = await sockets.connect("/ws/chat/kitchen/")
    other_socket, other = await sockets.connect("/ws/chat/other/")
    closer = await role_client("closer")
    url = DASHBOARD + "connections/close/"
    selection = {"ids": [lobby, kitchen], "code": "4001", "reason": "maintenance"}

    page = await closer.post(url, selection)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Close 2 connections?" in html
    for id, path in ((lobby, "/ws/chat/lobby/"), (kitchen, "/ws/chat/kitchen/")):
        assert f'data-connection="{id}"' in html and f'title="{path}"' in html
    assert f'data-connection="{other}"' not in html
    assert 'title="chat.consumers.ChatConsumer">ChatConsumer' in html
    assert 'name="confirm" value="yes"' in html and 'value="maintenance"' in html
    confirm = await closer.post(json_url(url), selection)
    assert confirm.json()["total"] == 2
    assert {row["id"] for row in confirm.json()["confirm"]} == {lobby, kitchen}
    for communicator in (lobby_socket, kitchen_socket, other_socket):
        assert await communicator.receive_nothing()
    assert await log_entries() == []

    done = await closer.post(url, {**selection, "confirm": "yes"})
    assert done.status_code == 302 and done["Location"] == DASHBOARD + "connections/"
    expected = {"type": "websocket.close", "code": 4001, "reason": "maintenance"}
    assert await lobby_socket.receive_output() == expected
    assert await kitchen_socket.receive_output() == expected
    assert await other_socket.receive_nothing()
    after = (await closer.get(done["Location"])).content.decode()
    assert "Asked 2 connections to close with code 4001." in after
    entries = await log_entries()
    assert sorted(entries) == sorted(
        [
            (
                "closer",
                id,
                DELETION,
                f"Closed with code 4001 (reason: maintenance): {path} by anonymous.",
            )
            for id, path in ((lobby, "/ws/chat/lobby/"), (kitchen, "/ws/chat/kitchen/"))
        ]
    )


async def test_closing_a_group_closes_its_live_members_only(sockets):
    first, _ = await sockets.connect("/ws/chat/lobby/")
    second, _ = await sockets.connect("/ws/chat/lobby/")
    kitchen, _ = await sockets.connect("/ws/chat/kitchen/")
    boss = await role_client("superuser")
    url = json_url(DASHBOARD + "connections/close/")
    asked = await boss.post(url, {"group": "chat_lobby"})
    assert asked.json()["total"] == 2
    done = await boss.post(url, {"group": "chat_lobby", "confirm": "yes", "code": "1000"})
    assert done.json()["closed"] == 2 and done.json()["failed"] == {}
    assert (await first.receive_output())["code"] == 1000
    assert (await second.receive_output())["code"] == 1000
    assert await kitchen.receive_nothing()
    assert len(await log_entries()) == 2


async def test_bulk_close_refuses_an_empty_selection_and_bad_codes(sockets):
    communicator, lobby = await sockets.connect("/ws/chat/lobby/")
    boss = await role_client("superuser")
    url = DASHBOARD + "connections/close/"
    for data in ({}, {"ids": ["0123456789abcdef"]}):
        response = await boss.post(json_url(url), data)
        assert response.status_code == 400
        assert "Select at least one live connection" in response.json()["error"]
    page = await boss.post(url, {})
    assert page.status_code == 400 and "Select at least one" in page.content.decode()
    for code in ("999", "x", "2000"):
        data = {"ids": [lobby], "code": code, "confirm": "yes"}
        response = await boss.post(json_url(url), data)
        assert response.status_code == 400
    data = {"ids": [lobby], "reason": "é" * 62, "confirm": "yes"}  # 124 bytes
    response = await boss.post(json_url(url), data)
    assert "at most 123 bytes" in response.json()["error"]
    assert (await boss.get(url)).status_code == 405
    assert await communicator.receive_nothing()
    assert await log_entries() == []


async def test_single_close_keeps_its_contract_and_is_logged(sockets):
    communicator, lobby = await sockets.connect("/ws/chat/lobby/")
    closer = await role_client("closer")
    response = await closer.post(
        json_url(DASHBOARD + f"connections/{lobby}/close/"), {"code": "4000"}
    )
    assert response.json() == {"closing": lobby, "code": 4000}
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 4000}
    assert await log_entries() == [
        ("closer", lobby, DELETION, "Closed with code 4000: /ws/chat/lobby/ by anonymous.")
    ]
    # The admin's "Recent actions" links the entry to the connection's page.
    index = (await closer.get("/admin/")).content.decode()
    assert "Recent actions" in index and f"{lobby} /ws/chat/lobby/" in index
    response = await closer.get(f"/admin/channels_admin/connection/{lobby}/change/")
    assert response["Location"] == DASHBOARD + f"connections/{lobby}/"


async def test_a_close_reason_reaches_the_server(sockets):
    communicator, lobby = await sockets.connect("/ws/chat/lobby/")
    boss = await role_client("superuser")
    await boss.post(
        DASHBOARD + f"connections/{lobby}/close/", {"code": "4000", "reason": "back soon"}
    )
    assert await communicator.receive_output() == {
        "type": "websocket.close",
        "code": 4000,
        "reason": "back soon",
    }


async def test_actions_need_the_csrf_token(sockets):
    communicator, lobby = await sockets.connect("/ws/chat/lobby/")
    user = await make_user("strict", superuser=True)
    client = await client_for(user, enforce_csrf_checks=True)
    for page, data in (
        (f"connections/{lobby}/join/", {"group": "ops"}),
        (f"connections/{lobby}/leave/", {"group": "chat_lobby"}),
        ("connections/close/", {"ids": [lobby], "confirm": "yes"}),
    ):
        assert (await client.post(DASHBOARD + page, data)).status_code == 403
    assert await communicator.receive_nothing()
    assert await log_entries() == []


# Tables.


async def test_a_first_click_on_a_column_sorts_ascending(sockets):
    await sockets.connect("/ws/chat/lobby/")
    viewer = await role_client("viewer")
    html = (await viewer.get(DASHBOARD + "connections/")).content.decode()
    assert 'href="?order=path">Path' in html
    html = (await viewer.get(DASHBOARD + "connections/?order=path")).content.decode()
    assert 'href="?order=-path">Path ▲' in html


@pytest.mark.redis
async def test_join_through_a_redis_layer_is_seen_by_another_layer_instance(
    sockets, redis_url, redis_client
):
    """On channels_redis the membership lives in Redis: a group_send from another layer
    instance (as another worker would make) reaches the client, and the note on the
    connection's channel comes back through Redis to attribute the change."""
    from channels_redis.core import RedisChannelLayer

    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url]},
        }
    }
    with override_settings(CHANNEL_LAYERS=layers):
        communicator, lobby = await sockets.connect("/ws/chat/lobby/")
        manager = await role_client("group manager")
        response = await manager.post(
            json_url(DASHBOARD + f"connections/{lobby}/join/"), {"group": "ops_room"}
        )
        assert response.status_code == 200
        other_worker = RedisChannelLayer(hosts=[redis_url])
        await other_worker.group_send("ops_room", MESSAGE)
        assert await communicator.receive_json_from(timeout=5) == {
            "text": "to the group",
            "author": "ops",
        }

        async def attributed():
            return (await registry_record(lobby))["group_changes"]

        await wait_for(attributed, "the join's attribution")
        await manager.post(DASHBOARD + f"connections/{lobby}/leave/", {"group": "ops_room"})
        await other_worker.group_send("ops_room", MESSAGE)
        assert await communicator.receive_nothing(timeout=0.5)
        await sockets.close_all()
        await other_worker.close_pools()
