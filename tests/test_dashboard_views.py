"""The dashboard's pages, HTML and JSON, over real connections to the demo application."""

from html import unescape

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from demo.asgi import application
from django.test import override_settings
from django.urls import reverse

from channels_admin.conf import app_settings
from channels_admin.recorder.records import Decision, Record
from tests import dashboard_support
from tests.conftest import free_port
from tests.dashboard_support import DASHBOARD, HEADERS, client_for, make_user

# Fixtures: a fresh registry, sockets to the demo application, logged-in clients.
registry = dashboard_support.registry
sockets = dashboard_support.sockets
staff = dashboard_support.staff
admin = dashboard_support.admin

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = ["", "connections/", "groups/", "decisions/", "resolve/?path=/ws/chat/lobby/"]


async def get_json(client, url, status=200):
    separator = "&" if "?" in url else "?"
    response = await client.get(url + separator + "format=json")
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


async def get_html(client, url):
    response = await client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


# Who may see the pages.


@pytest.mark.parametrize("page", [*PAGES, "connections/0123456789abcdef/"])
async def test_anonymous_and_non_staff_users_are_sent_to_the_admin_login(page, transactional_db):
    url = DASHBOARD + page
    for user in (None, await make_user("visitor")):
        client = await client_for(user)
        response = await client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=")
        json_response = await client.get(url + ("&" if "?" in url else "?") + "format=json")
        assert json_response.status_code == 302


@pytest.mark.parametrize("page", PAGES)
async def test_staff_see_every_page_in_both_formats(page, staff, registry):
    html = await get_html(staff, DASHBOARD + page)
    assert 'href="/admin/channels-routing/connections/"' in html
    assert "admin/css/base.css" in html  # the admin's own look
    assert isinstance(await get_json(staff, DASHBOARD + page), dict)


async def test_url_names_live_in_the_admin_namespace():
    assert reverse("admin:channels_admin_overview") == DASHBOARD
    assert reverse("admin:channels_admin_connections") == DASHBOARD + "connections/"
    assert reverse("admin:channels_admin_connection", args=["ab12"]) == (
        DASHBOARD + "connections/ab12/"
    )
    assert reverse("admin:channels_admin_close", args=["ab12"]) == (
        DASHBOARD + "connections/ab12/close/"
    )
    assert reverse("admin:channels_admin_groups") == DASHBOARD + "groups/"
    assert reverse("admin:channels_admin_decisions") == DASHBOARD + "decisions/"
    assert reverse("admin:channels_admin_resolve") == DASHBOARD + "resolve/"


async def test_the_admin_index_lists_the_dashboard_for_staff(staff):
    index = await get_html(staff, "/admin/")
    assert "Channels routing" in index
    assert 'href="/admin/channels_admin/connection/"' in index
    response = await staff.get("/admin/channels_admin/connection/")
    assert response.status_code == 302
    assert response["Location"] == DASHBOARD + "connections/"


# Overview.


async def test_overview_counts_live_connections_and_groups_and_shows_the_tree(staff, sockets):
    await sockets.connect("/ws/chat/lobby/")
    await sockets.connect("/ws/number/42/page/3/")
    data = await get_json(staff, DASHBOARD)
    assert data["live"]["total"] == 2
    assert data["live"]["by_type"] == {"websocket": 2}
    assert data["live"]["by_consumer"] == {
        "chat.consumers.ChatConsumer": 1,
        "chat.consumers.NumberConsumer": 1,
    }
    assert data["groups"]["total"] == 1
    assert data["groups"]["members"] == 1
    assert data["tree"]["label"] == "RoutingRecorderMiddleware"
    html = await get_html(staff, DASHBOARD)
    assert "ws/chat/&lt;slug:room&gt;/" in html  # the tree, escaped
    assert "chat.consumers.NumberConsumer" in html
    assert "chat/consumers.py:" in html  # source locations


async def test_overview_lists_recent_misses(staff, sockets):
    await sockets.refused("/ws/nowhere/")
    data = await get_json(staff, DASHBOARD)
    assert [(p["path"], p["outcome"]) for p in data["problems"]] == [("/ws/nowhere/", "miss")]
    assert "/ws/nowhere/" in await get_html(staff, DASHBOARD)


# Connections.


async def test_connections_lists_live_connections_with_consumer_kwargs_and_groups(staff, sockets):
    _, lobby = await sockets.connect("/ws/chat/lobby/")
    data = await get_json(staff, DASHBOARD + "connections/")
    assert data["total"] == 1
    [connection] = data["connections"]
    assert connection["id"] == lobby
    assert connection["type"] == "websocket"
    assert connection["path"] == "/ws/chat/lobby/"
    assert connection["consumer"] == "chat.consumers.ChatConsumer"
    assert connection["kwargs"] == {"room": "lobby"}
    assert connection["groups"] == ["chat_lobby"]
    assert connection["state"] == "accepted"
    html = await get_html(staff, DASHBOARD + "connections/")
    assert f'href="/admin/channels-routing/connections/{lobby}/"' in html
    assert "chat_lobby" in html and "room=lobby" in html


async def test_connections_filter_by_path_consumer_group_type_and_state(staff, sockets):
    lobby_socket, lobby = await sockets.connect("/ws/chat/lobby/")
    _, kitchen = await sockets.connect("/ws/chat/kitchen/")
    _, number = await sockets.connect("/ws/number/7/page/1/")

    async def ids(query):
        data = await get_json(staff, DASHBOARD + "connections/?" + query)
        return {connection["id"] for connection in data["connections"]}

    assert await ids("") == {lobby, kitchen, number}
    assert await ids("path=kitchen") == {kitchen}
    assert await ids("consumer=NumberConsumer") == {number}
    assert await ids("group=chat_lobby") == {lobby}
    assert await ids("type=http") == set()
    assert await ids("state=accepted") == {lobby, kitchen, number}

    await lobby_socket.disconnect()
    sockets.open.remove(lobby_socket)
    assert await ids("") == {kitchen, number}
    assert await ids("state=closed") == {lobby}
    assert await ids("state=all") == {lobby, kitchen, number}
    html = await get_html(staff, DASHBOARD + "connections/?state=closed")
    assert f"connections/{lobby}/" in html and f"connections/{kitchen}/" not in html


async def test_connections_sort_by_path(staff, sockets):
    for room in ("b", "c", "a"):
        await sockets.connect(f"/ws/chat/{room}/")
    data = await get_json(staff, DASHBOARD + "connections/?order=path")
    assert [c["path"] for c in data["connections"]] == [
        "/ws/chat/a/",
        "/ws/chat/b/",
        "/ws/chat/c/",
    ]
    data = await get_json(staff, DASHBOARD + "connections/?order=-path")
    assert [c["path"] for c in data["connections"]] == [
        "/ws/chat/c/",
        "/ws/chat/b/",
        "/ws/chat/a/",
    ]
    # An unknown field falls back to newest first instead of failing.
    data = await get_json(staff, DASHBOARD + "connections/?order=__class__")
    assert [c["path"] for c in data["connections"]] == [
        "/ws/chat/a/",
        "/ws/chat/c/",
        "/ws/chat/b/",
    ]


async def test_connections_are_paginated_100_a_page_with_the_total(staff, sockets):
    for number in range(101):
        await sockets.connect(f"/ws/chat/room{number}/")
    first = await get_json(staff, DASHBOARD + "connections/")
    assert first["total"] == 101
    assert len(first["connections"]) == 100
    assert (first["page"], first["pages"]) == (1, 2)
    second = await get_json(staff, DASHBOARD + "connections/?page=2")
    assert len(second["connections"]) == 1
    seen = {c["id"] for c in first["connections"]} | {c["id"] for c in second["connections"]}
    assert len(seen) == 101
    html = await get_html(staff, DASHBOARD + "connections/")
    assert "page 1 of 2" in html
    assert 'href="?page=2"' in html


# One connection.


async def test_connection_page_shows_trace_groups_and_redacted_headers(staff, sockets):
    _, lobby = await sockets.connect("/ws/chat/lobby/")
    data = await get_json(staff, DASHBOARD + f"connections/{lobby}/")
    record = data["connection"]
    assert record["consumer"] == "chat.consumers.ChatConsumer"
    assert record["groups"] == ["chat_lobby"]
    assert [step["label"] for step in record["trace"]] == ["ProtocolTypeRouter", "URLRouter"]
    html = await get_html(staff, DASHBOARD + f"connections/{lobby}/")
    assert "chat_lobby" in html
    assert "pattern did not match" not in html  # the first route matched: nothing failed
    _, number = await sockets.connect("/ws/number/42/page/3/")
    html = await get_html(staff, DASHBOARD + f"connections/{number}/")
    assert "pattern did not match" in html  # ws/chat/ and ws/api/ were tried first
    assert "page=3" in html


async def test_a_socket_closed_by_a_redis_read_timeout_says_how_to_fix_it(staff, registry):
    record = Record({"type": "websocket", "path": "/ws/chat/lobby/"}, app_settings())
    record.outcome = "error"
    record.error = "TimeoutError: Timeout reading from 127.0.0.1:6379"
    await registry.opened(record)
    await registry.decided(Decision(record))
    await registry.closed(record)
    for url in (f"connections/{record.id}/", "decisions/"):
        text = unescape(await get_html(staff, DASHBOARD + url))
        assert "Timeout reading from 127.0.0.1:6379" in text
        assert "channels_redis#422" in text and '"socket_timeout": 30' in text, url


async def test_unknown_connection_is_404(staff, registry):
    response = await staff.get(DASHBOARD + "connections/0123456789abcdef/")
    assert response.status_code == 404


# Closing a connection.


async def test_staff_without_the_permission_cannot_close(staff, sockets):
    communicator, lobby = await sockets.connect("/ws/chat/lobby/")
    html = await get_html(staff, DASHBOARD + f"connections/{lobby}/")
    assert "channels_admin.close_connection" in html  # says what is missing
    assert f'action="/admin/channels-routing/connections/{lobby}/close/"' not in html
    response = await staff.post(DASHBOARD + f"connections/{lobby}/close/", {"code": "4000"})
    assert response.status_code == 403
    assert await communicator.receive_nothing()
    data = await get_json(staff, DASHBOARD + f"connections/{lobby}/")
    assert data["connection"]["state"] == "accepted"


async def test_the_close_permission_closes_with_the_chosen_code(sockets, transactional_db):
    user = await make_user(
        "operator", staff=True, permissions=["view_connection", "close_connection"]
    )
    client = await client_for(user)
    communicator, lobby = await sockets.connect("/ws/chat/lobby/")
    html = await get_html(client, DASHBOARD + f"connections/{lobby}/")
    assert f'action="/admin/channels-routing/connections/{lobby}/close/"' in html
    response = await client.post(DASHBOARD + f"connections/{lobby}/close/", {"code": "4000"})
    assert response.status_code == 302
    assert response["Location"] == DASHBOARD + f"connections/{lobby}/"
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 4000}
    after = await get_html(client, response["Location"])
    assert f"Asked connection {lobby} to close with code 4000." in after


async def test_superuser_closes_through_json_and_bad_requests_are_refused(admin, sockets):
    communicator, lobby = await sockets.connect("/ws/chat/lobby/")
    close = DASHBOARD + f"connections/{lobby}/close/"
    assert (await admin.get(close)).status_code == 405
    response = await admin.post(close + "?format=json", {"code": "1001"})
    assert response.status_code == 400
    assert "3000 and 4999" in response.json()["error"]
    response = await admin.post(close + "?format=json", {"code": "x"})
    assert response.status_code == 400
    missing = DASHBOARD + "connections/0123456789abcdef/close/?format=json"
    assert (await admin.post(missing, {"code": "1000"})).status_code == 404
    assert await communicator.receive_nothing()
    response = await admin.post(close + "?format=json", {"code": "1000"})
    assert response.json() == {"closing": lobby, "code": 1000}
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 1000}


async def test_close_needs_the_csrf_token(sockets, transactional_db):
    user = await make_user("careful", superuser=True)
    client = await client_for(user, enforce_csrf_checks=True)
    communicator, lobby = await sockets.connect("/ws/chat/lobby/")
    response = await client.post(DASHBOARD + f"connections/{lobby}/close/", {"code": "1000"})
    assert response.status_code == 403
    assert await communicator.receive_nothing()


# Groups.


async def test_groups_list_members_mapped_to_their_connections(staff, sockets):
    _, first = await sockets.connect("/ws/chat/lobby/")
    _, second = await sockets.connect("/ws/chat/lobby/")
    _, kitchen = await sockets.connect("/ws/chat/kitchen/")
    data = await get_json(staff, DASHBOARD + "groups/")
    assert data["total"] == 2
    groups = {group["name"]: group for group in data["groups"]}
    assert groups["chat_lobby"]["size"] == 2
    assert {m["connection"] for m in groups["chat_lobby"]["members"]} == {first, second}
    assert [m["connection"] for m in groups["chat_kitchen"]["members"]] == [kitchen]
    filtered = await get_json(staff, DASHBOARD + "groups/?name=kitch")
    assert [group["name"] for group in filtered["groups"]] == ["chat_kitchen"]
    html = await get_html(staff, DASHBOARD + "groups/")
    assert f'href="/admin/channels-routing/connections/{kitchen}/"' in html


# Decisions.


async def test_decisions_newest_first_filtered_by_outcome(staff, sockets):
    await sockets.connect("/ws/chat/lobby/")
    await sockets.refused("/ws/missing/")
    data = await get_json(staff, DASHBOARD + "decisions/")
    assert [(d["path"], d["outcome"]) for d in data["decisions"]] == [
        ("/ws/missing/", "miss"),
        ("/ws/chat/lobby/", "hit"),
    ]
    misses = await get_json(staff, DASHBOARD + "decisions/?outcome=miss")
    assert [d["path"] for d in misses["decisions"]] == ["/ws/missing/"]
    hits = await get_json(staff, DASHBOARD + "decisions/?path=lobby")
    assert [d["outcome"] for d in hits["decisions"]] == ["hit"]
    html = await get_html(staff, DASHBOARD + "decisions/?outcome=miss")
    assert "/ws/missing/" in html and "/ws/chat/lobby/" not in html


async def test_decisions_are_paginated_with_the_total_of_the_filter(staff, sockets):
    await sockets.refused("/ws/missing/")
    for number in range(101):
        await sockets.connect(f"/ws/chat/room{number}/")
    first = await get_json(staff, DASHBOARD + "decisions/?outcome=hit")
    assert (first["total"], first["page"], first["pages"]) == (101, 1, 2)
    assert first["decisions"][0]["path"] == "/ws/chat/room100/"
    second = await get_json(staff, DASHBOARD + "decisions/?outcome=hit&page=2")
    assert [d["path"] for d in second["decisions"]] == ["/ws/chat/room0/"]
    assert (await get_json(staff, DASHBOARD + "decisions/"))["total"] == 102
    html = await get_html(staff, DASHBOARD + "decisions/?outcome=hit")
    assert "<strong>101</strong> recent routing decisions" in html
    assert "page 1 of 2" in html and 'href="?outcome=hit&amp;page=2"' in html


# Route tester.


async def test_resolve_json_is_the_explain_answer(staff, registry):
    hit = await get_json(staff, DASHBOARD + "resolve/?path=/ws/number/42/page/3/&type=websocket")
    assert hit["matched"] is True
    assert hit["consumer"] == "chat.consumers.NumberConsumer"
    assert hit["kwargs"] == {"number": 42, "page": 3}
    miss = await get_json(staff, DASHBOARD + "resolve/?path=/ws/number/42/page/x/")
    assert miss["matched"] is False
    (nested,) = [
        candidate
        for candidate in miss["steps"][-1]["candidates"]
        if candidate["pattern"] == "ws/number/<int:number>/"
    ]
    assert nested["reason"] == "nested miss"
    http = await get_json(staff, DASHBOARD + "resolve/?path=/anything/&type=http")
    assert http["consumer"] == "django.core.handlers.asgi.ASGIHandler"
    await get_json(staff, DASHBOARD + "resolve/", status=400)
    await get_json(staff, DASHBOARD + "resolve/?path=/x/&type=smoke", status=400)


async def test_resolve_draws_the_path_through_the_tree(staff, registry):
    html = await get_html(staff, DASHBOARD + "resolve/?path=/ws/number/42/page/x/")
    assert "No application would take" in html
    assert "ca-path-taken" in html  # the routers the scope went through
    assert "ca-path-tried" in html  # the nested router that was tried and missed
    assert "nested miss" in html
    assert "pattern did not match" in html
    assert "not tried" in html  # the http branch
    html = await get_html(staff, DASHBOARD + "resolve/?path=/ws/chat/lobby/")
    assert "goes to" in html and "chat.consumers.ChatConsumer" in html
    assert "room=lobby" in html


async def test_resolve_draws_the_path_into_channels_1_routes(staff, registry):
    """A MessageRouter is a router on the tree too: its routes are marked tried or taken."""
    html = await get_html(staff, DASHBOARD + "resolve/?path=/ws/legacy/chat/lobby/")
    tree = html[html.index("ca-tree-drawn") : html.index("Step by step")]
    routes = tree[tree.index('<strong class="ca-router">MessageRouter</strong>') :]
    include = routes.index("include(path=")
    assert "ca-mark-hit" in routes[:include]  # the include() took websocket.connect
    assert "ca-mark-untried" in routes[include:]  # so the route_class() after it was not tried


# Live refresh and escaping.


async def test_htmx_refresh_gets_only_the_live_region(staff, sockets):
    await sockets.connect("/ws/chat/lobby/")
    response = await staff.get(
        DASHBOARD + "connections/?path=lobby", headers={"HX-Request": "true", "HX-Target": "live"}
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="live"')
    assert "<html" not in body and "/ws/chat/lobby/" in body
    assert "HX-Target" in response["Vary"]
    restore = await staff.get(
        DASHBOARD + "connections/",
        headers={"HX-Request": "true", "HX-Target": "live", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in restore.content.decode()


HOSTILE = "<script>alert(1)</script>"


async def test_hostile_path_and_group_name_are_escaped_everywhere(staff, sockets):
    path = f"/ws/chat/{HOSTILE}/"
    await sockets.refused(path)
    _, lobby = await sockets.connect("/ws/chat/lobby/")
    # The layer refuses such a name through group_add, but whatever is in a layer is shown.
    get_channel_layer().groups[f"room{HOSTILE}"] = {"specific.hostile!x": 1e12}
    [refused] = (await get_json(staff, DASHBOARD + "connections/?state=closed"))["connections"]
    assert refused["path"] == path
    pages = [
        "",
        "connections/?state=all",
        f"connections/{refused['id']}/",
        "groups/",
        "decisions/",
        f"connections/?group={HOSTILE}",
        f"groups/?name={HOSTILE}",
        f"resolve/?path={path}",
    ]
    for page in pages:
        html = await get_html(staff, DASHBOARD + page)
        assert HOSTILE not in html, page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, page


async def test_hostile_headers_and_query_string_are_escaped_on_the_connection_page(
    staff, sockets, registry
):
    headers = [*HEADERS, (b"user-agent", HOSTILE.encode())]
    communicator = WebsocketCommunicator(application, "/ws/chat/lobby/?q=" + HOSTILE, headers)
    assert (await communicator.connect())[0]
    try:
        [record] = (await registry.connections())["connections"]
        for page in (f"connections/{record['id']}/", "connections/"):
            html = await get_html(staff, DASHBOARD + page)
            assert HOSTILE not in html, page
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, page
    finally:
        await communicator.disconnect()


# Odd input: a clear answer, never a server error.

ODD_INPUT = [
    # (page, JSON status, HTML status): a form page shows its error with the form.
    ("connections/?page=99999999999999999999999", 200, 200),
    ("connections/?page=-5&state=bogus&order=__class__&type=<x>", 200, 200),
    ("connections/?consumer=" + "a" * 10_000, 200, 200),
    ("groups/?page=99999999999999999999999&name=%00", 200, 200),
    ("decisions/?page=abc&outcome=<b>", 200, 200),
    ("resolve/?path=%00&type=http", 200, 200),
    ("resolve/?path=" + "/x" * 5_000 + "&type=websocket", 200, 200),
    ("resolve/?path=/ws/&type=bogus", 400, 200),
    ("resolve/?path=&type=websocket", 400, 200),
    ("connections/does-not-exist/", 404, 404),
]


@pytest.mark.parametrize(("page", "json_status", "html_status"), ODD_INPUT)
async def test_odd_query_values_get_a_clear_answer(page, json_status, html_status, staff, sockets):
    await sockets.connect("/ws/chat/lobby/")
    data = await get_json(staff, DASHBOARD + page, status=json_status)
    if json_status != 200:
        assert data["error"]
    elif page.startswith("connections/?page"):  # bad values fall back to the defaults
        assert (data["total"], data["order"]) == (1, "-started")
    response = await staff.get(DASHBOARD + page)
    assert response.status_code == html_status


async def test_odd_close_codes_are_refused_with_a_reason(admin, sockets):
    _, lobby = await sockets.connect("/ws/chat/lobby/")
    for code in ("abc", "99999999999999999999", "", "1000.5", "-1", "2000"):
        response = await admin.post(
            DASHBOARD + f"connections/{lobby}/close/?format=json", {"code": code}
        )
        assert response.status_code == 400, code
        assert "Close code must be" in response.json()["error"]
    response = await admin.post(
        DASHBOARD + "connections/nope/close/?format=json", {"code": "1000"}
    )
    assert response.status_code == 404 and "nope" in response.json()["error"]


@override_settings(ROOT_URLCONF="tests.dashboard_site_urls")
async def test_a_custom_admin_site_carries_the_dashboard_too(staff, sockets):
    _, lobby = await sockets.connect("/ws/chat/lobby/")
    assert reverse("admin:channels_admin_overview", current_app="staffsite") == (
        "/staff/channels-routing/"
    )
    html = await get_html(staff, "/staff/channels-routing/connections/")
    assert f'href="/staff/channels-routing/connections/{lobby}/"' in html
    assert 'href="/staff/channels-routing/groups/"' in html
    assert 'href="/staff/channels_admin/connection/"' in await get_html(staff, "/staff/")
    anonymous = await client_for(None)
    response = await anonymous.get("/staff/channels-routing/")
    assert response["Location"].startswith("/staff/login/?next=")


@pytest.mark.redis
async def test_groups_of_a_redis_layer_map_to_connections(
    staff, registry, redis_url, redis_client
):
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url]},
        }
    }
    with override_settings(CHANNEL_LAYERS=layers):
        sockets = dashboard_support.Sockets(registry)
        try:
            _, lobby = await sockets.connect("/ws/chat/lobby/")
            data = await get_json(staff, DASHBOARD + "groups/")
            assert data["backend"] == "channels_redis.core.RedisChannelLayer"
            [group] = data["groups"]
            assert (group["name"], group["size"]) == ("chat_lobby", 1)
            assert group["members"][0]["connection"] == lobby
        finally:
            await sockets.close_all()


async def test_an_unreachable_layer_leaves_the_pages_up_with_a_note(staff, registry):
    unreachable = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [unreachable]},
        }
    }
    with override_settings(CHANNEL_LAYERS=layers):
        data = await get_json(staff, DASHBOARD + "groups/")
        assert data["groups"] == [] and "Could not list the groups" in data["note"]
        assert "Could not list the groups" in await get_html(staff, DASHBOARD)


@pytest.mark.parametrize("page", ["resolve/?path=/ws/chat/lobby/", "resolve/"])
async def test_a_page_without_a_live_region_answers_a_live_refresh_in_full(page, staff, registry):
    response = await staff.get(DASHBOARD + page, headers={"HX-Target": "live"})
    assert response.status_code == 200
    assert 'id="resolve-form"' in response.content.decode()
