"""ChannelsRoutingPanel in a real DebugToolbar, with connections opened through the recorder."""

import importlib
import json
import re

import debug_toolbar.urls
import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from channels.testing import HttpCommunicator, WebsocketCommunicator
from debug_toolbar.panels.profiling import ProfilingPanel
from debug_toolbar.toolbar import DebugToolbar
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser, Permission, User
from django.core.asgi import get_asgi_application
from django.http import HttpResponse
from django.test import AsyncClient, AsyncRequestFactory, Client, override_settings
from django.urls import clear_url_caches, path, reverse
from django.utils.functional import SimpleLazyObject

from channels_admin.middleware import RoutingRecorderMiddleware
from channels_admin.panels import ChannelsRoutingPanel
from channels_admin.recorder.records import session_hash
from channels_admin.registry import set_registry
from channels_admin.registry.memory import MemoryRegistry
from channels_admin.routing import ProtocolTypeRouter, RouteNotFound, URLRouter

PANEL = "channels_admin.panels.ChannelsRoutingPanel"
BROWSER = "Mozilla/5.0 (panel tests)"
OTHER_BROWSER = "curl/8.0"
PAGE = "<!doctype html><html><body><h1>page</h1></body></html>"

# Requests and consumers close old database connections, and the whole-stack tests log a
# staff member in: the users and sessions they make are read from asgiref's worker thread.
pytestmark = pytest.mark.django_db(transaction=True)


class RoomConsumer(AsyncWebsocketConsumer):
    """Joins its room's group while connected."""

    async def connect(self):
        self.group = "room_" + self.scope["url_route"]["kwargs"]["room"]
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)


class ClientAddress:
    """Sets the client address, as the server does before any application sees the scope."""

    def __init__(self, inner, host="127.0.0.1"):
        self.inner = inner
        self.host = host
        self.port = 40000

    async def __call__(self, scope, receive, send):
        self.port += 1
        return await self.inner({**scope, "client": [self.host, self.port]}, receive, send)


def websocket_app(host="127.0.0.1"):
    return ClientAddress(
        RoutingRecorderMiddleware(
            ProtocolTypeRouter(
                {"websocket": URLRouter([path("rooms/<slug:room>/", RoomConsumer.as_asgi())])}
            )
        ),
        host,
    )


def headers(session=None, agent=BROWSER):
    found = [(b"user-agent", agent.encode())]
    if session:
        found.append((b"cookie", f"csrftoken=x; sessionid={session}".encode()))
    return found


async def open_socket(path, session=None, agent=BROWSER, host="127.0.0.1"):
    communicator = WebsocketCommunicator(websocket_app(host), path, headers(session, agent))
    connected, _ = await communicator.connect()
    assert connected
    return communicator


class CountingRegistry(MemoryRegistry):
    """The memory registry, counting how often the panel lists connections."""

    reads = 0

    async def connections(self, **filters):
        self.reads += 1
        return await super().connections(**filters)


class BrokenRegistry(MemoryRegistry):
    async def connections(self, **filters):
        raise ConnectionError("registry is down")


@pytest.fixture
async def registry():
    registry = CountingRegistry()
    set_registry(registry)
    await get_channel_layer().flush()
    yield registry
    set_registry(None)
    await get_channel_layer().flush()


@pytest.fixture(autouse=True)
def only_this_panel(settings):
    settings.DEBUG_TOOLBAR_PANELS = ["debug_toolbar.panels.timer.TimerPanel", PANEL]


async def page(request):
    return HttpResponse(PAGE)


async def debugged(request):
    """The toolbar on ``request`` as the middleware runs it; returns the panel."""
    toolbar = DebugToolbar(request, page)
    response = await toolbar.process_request(request)
    for panel in toolbar.enabled_panels:
        panel.generate_stats(request, response)
    return toolbar.get_panel_by_id(ChannelsRoutingPanel.panel_id)


def page_request(session=None, agent=BROWSER, staff=True):
    """A request for the debugged page, by a staff member who may view connections (an
    unsaved superuser) unless ``staff`` is false (then without any user, as without
    AuthenticationMiddleware)."""
    request = AsyncRequestFactory().get("/chat/", headers={"user-agent": agent})
    if session:
        request.COOKIES["sessionid"] = session
    if staff:
        request.user = User(username="staffer", is_staff=True, is_superuser=True)
    return request


async def member(username, staff, view=True):
    """A saved user (``staff`` or not); staff get ``channels_admin.view_connection`` unless
    ``view`` is false."""

    def create():
        user = User.objects.create_user(username, password="secret-for-tests", is_staff=staff)
        if staff and view:
            user.user_permissions.add(Permission.objects.get(codename="view_connection"))
        return user

    return await sync_to_async(create)()


async def logged_in(user):
    """An AsyncClient with ``user``'s session; its key is the ``sessionid`` cookie."""
    client = AsyncClient()
    await client.aforce_login(user)
    return client


def session_of(client):
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


def rows(content, attribute):
    return re.findall(r'<tr %s="([^"]*)"' % attribute, content)


async def test_subtitle_and_content_show_connections_groups_misses_and_the_tree(registry):
    sockets = [
        await open_socket("/rooms/lobby/"),
        await open_socket("/rooms/lobby/"),
        await open_socket("/rooms/kitchen/"),
    ]
    with pytest.raises(RouteNotFound):
        await WebsocketCommunicator(websocket_app(), "/<b>nowhere</b>/").connect()

    panel = await debugged(page_request())

    assert panel.title == "Channels routing"
    assert panel.nav_subtitle == "3 live · 2 groups"
    content = panel.content
    # Consumers by class name, the module on hover.
    assert content.count('<code title="tests.test_panel.RoomConsumer">RoomConsumer</code>') == 3
    assert content.count("<code>room=lobby</code>") == 2
    assert "<code>room=kitchen</code>" in content
    assert rows(content, "data-group") == ["room_kitchen", "room_lobby"]
    assert re.search(r'title="room_lobby">[^\n]*</code></td>\s*<td>2</td>', content)
    assert ">None<" not in content and "None</" not in content  # include rows too
    # The miss, escaped: a client controls the path.
    assert rows(content, "data-outcome") == ["miss"]
    assert "/&lt;b&gt;nowhere&lt;/b&gt;/" in content and "<b>nowhere" not in content
    # Newest first.
    ids = rows(content, "data-connection")
    live = (await registry.connections())["connections"]
    assert ids == [record["id"] for record in live] and len(ids) == 3
    # The router tree of ASGI_APPLICATION (the demo project's).
    assert "\u00a0ws/chat/&lt;slug:room&gt;/</code>" in content  # indented below the router
    assert (
        '<code title="chat.consumers.ChatConsumer"><span class="ca-seg">chat.</span><wbr>'
        in content
    )
    assert "chat/consumers.py:" in content

    await sockets[0].disconnect()
    assert (await debugged(page_request())).nav_subtitle == "2 live · 2 groups"
    for socket in sockets[1:]:
        await socket.disconnect()
    assert (await debugged(page_request())).nav_subtitle == "0 live · 0 groups"


async def test_list_is_capped_newest_first_with_the_total(registry, monkeypatch):
    monkeypatch.setattr("channels_admin.panels.MAX_CONNECTIONS", 2)
    sockets = [await open_socket(f"/rooms/r{number}/") for number in range(4)]
    panel = await debugged(page_request())
    content = panel.content
    assert panel.nav_subtitle == "4 live · 4 groups"
    assert re.findall(r"<code>room=(r\d)</code>", content) == ["r3", "r2"]
    assert "The 2 newest of 4." in content
    for socket in sockets:
        await socket.disconnect()


async def test_stats_are_json_and_the_stored_panel_renders_the_same(registry):
    socket = await open_socket("/rooms/lobby/", session="s1")
    panel = await debugged(page_request(session="s1"))
    stats = panel.get_stats()
    assert json.loads(json.dumps(stats)) == stats  # strict JSON, nothing left to force_str

    # What the toolbar's render_panel view does, later, from its store.
    stored = DebugToolbar.fetch(panel.toolbar.request_id, ChannelsRoutingPanel.panel_id)
    again = stored.get_panel_by_id(ChannelsRoutingPanel.panel_id)
    assert again.get_stats() == stats
    assert again.nav_subtitle == panel.nav_subtitle == "1 live · 1 group"
    # Read back, the panel leaves its live part to the live view, which checks who asks.
    assert "<code>room=lobby</code>" in panel.content
    assert "room=lobby" not in again.content and "data-connection" not in again.content
    assert "Reading the live connections" in again.content and "Router tree" in again.content
    await socket.disconnect()


def as_user(user):
    request = page_request(session="s1", staff=False)
    request.user = user
    return request


def cannot_be_loaded():
    raise ConnectionError("session store is down")


@pytest.mark.parametrize(
    "request_for",
    [
        lambda: as_user(User(username="visitor")),
        lambda: as_user(User(username="retired", is_staff=True, is_active=False)),
        lambda: as_user(User(username="boss", is_superuser=True)),  # not staff
        lambda: as_user(AnonymousUser()),
        lambda: page_request(session="s1", staff=False),  # no AuthenticationMiddleware
        lambda: as_user(SimpleLazyObject(cannot_be_loaded)),
    ],
    ids=[
        "not-staff",
        "inactive-staff",
        "superuser-not-staff",
        "anonymous",
        "no-user",
        "user-cannot-be-loaded",
    ],
)
async def test_anyone_but_staff_sees_no_connections_and_nothing_is_read(registry, request_for):
    socket = await open_socket("/rooms/lobby/", session="s1")
    before = registry.reads

    panel = await debugged(request_for())

    assert registry.reads == before
    assert panel.nav_subtitle == "staff only"
    content = panel.content
    assert "Staff only." in content
    assert '<a href="/admin/login/?next=%2Fchat%2F">Log in to the admin</a>' in content
    for shown in ("data-connection", "room=lobby", "groups", "misses", "Router tree"):
        assert shown not in content
    stats = panel.get_stats()
    assert json.loads(json.dumps(stats)) == stats
    stored = DebugToolbar.fetch(panel.toolbar.request_id, ChannelsRoutingPanel.panel_id)
    again = stored.get_panel_by_id(ChannelsRoutingPanel.panel_id)
    assert (again.nav_subtitle, again.content) == ("staff only", content)
    await socket.disconnect()


async def test_live_view_answers_staff_only(registry):
    socket = await open_socket("/rooms/lobby/")
    panel = await debugged(page_request())
    live_url = reverse("djdt:channels_routing_live")
    query = {"request_id": panel.toolbar.request_id}
    visitor = await logged_in(await member("visitor", staff=False))
    blind = await logged_in(await member("blind", staff=True, view=False))
    staff = await logged_in(await member("staffer", staff=True))
    before = registry.reads
    with override_settings(DEBUG=True, INTERNAL_IPS=["127.0.0.1"]):
        refused = [
            await visitor.get(live_url, query),
            await blind.get(live_url, query),
            await AsyncClient().get(live_url, query),
        ]
        assert registry.reads == before
        allowed = await staff.get(live_url, query)
    for response in refused:
        assert response.status_code == 403
        assert response.json()["subtitle"] == "staff only"
        assert "Staff only." in response.json()["content"]
        assert "room=lobby" not in response.json()["content"]
    assert allowed.status_code == 200
    assert allowed.json()["subtitle"] == "1 live · 1 group"
    assert "<code>room=lobby</code>" in allowed.json()["content"]
    await socket.disconnect()


async def test_panel_is_enabled_under_asgi_where_sync_only_panels_are_not(registry):
    request = page_request()
    toolbar = DebugToolbar(request, page)
    enabled = {type(panel) for panel in toolbar.enabled_panels}
    assert ChannelsRoutingPanel in enabled
    assert ChannelsRoutingPanel.is_async is True
    assert not ProfilingPanel(toolbar, page).enabled  # the same check refuses a sync-only panel


async def test_connections_of_the_page_are_marked_by_session(registry):
    before = await open_socket("/rooms/before/", session="mine")
    stranger = await open_socket("/rooms/stranger/", session="theirs")
    no_session = await open_socket("/rooms/anonymous/")  # same address and browser, no session
    panel = await debugged(page_request(session="mine"))
    marks = dict(re.findall(r'<tr data-connection="(\w+)" data-mark="(\w*)"', panel.content))
    by_id = {record["id"]: record for record in (await registry.connections())["connections"]}
    assert {by_id[id]["path"]: mark for id, mark in marks.items()} == {
        "/rooms/before/": "browser",  # this browser, but open before the page was asked for
        "/rooms/stranger/": "",
        "/rooms/anonymous/": "",
    }

    # The page opens its socket after it loaded: the panel's live view, asked when the panel
    # opens, sees it and marks it.
    opened = await open_socket("/rooms/opened/", session="mine")
    staff = await logged_in(await member("staffer", staff=True))
    live_url = reverse("djdt:channels_routing_live")
    with override_settings(DEBUG=True, INTERNAL_IPS=["127.0.0.1"]):
        response = await staff.get(live_url, {"request_id": panel.toolbar.request_id})
    assert response.status_code == 200
    assert response.json()["subtitle"] == "4 live · 4 groups"
    content = response.json()["content"]
    assert re.search(
        r'<tr data-connection="\w+" data-mark="page" class="djdt-highlighted">\s*'
        r"<td><strong>this page</strong></td>.*?<code>room=opened</code>",
        content,
        re.S,
    )
    assert content.count('data-mark="page"') == 1 and content.count('data-mark="browser"') == 1
    assert "Router tree" not in content  # only the live part is sent again

    for socket in (before, stranger, no_session, opened):
        await socket.disconnect()


async def test_without_a_session_the_client_address_and_browser_must_match(registry):
    panel = await debugged(page_request())
    mine = await open_socket("/rooms/mine/")
    other_browser = await open_socket("/rooms/curl/", agent=OTHER_BROWSER)
    other_host = await open_socket("/rooms/far/", host="10.0.0.9")
    with_session = await open_socket("/rooms/session/", session="abc")
    staff = await logged_in(await member("staffer", staff=True))
    live_url = reverse("djdt:channels_routing_live")
    with override_settings(DEBUG=True, INTERNAL_IPS=["127.0.0.1"]):
        response = await staff.get(live_url, {"request_id": panel.toolbar.request_id})
    content = response.json()["content"]
    marked = re.findall(r'data-mark="page".*?<code>room=(\w+)</code>', content, re.S)
    assert marked == ["mine"]
    assert content.count('data-mark=""') == 3
    for socket in (mine, other_browser, other_host, with_session):
        await socket.disconnect()


async def test_session_cookie_is_kept_as_a_digest_only(registry):
    socket = await open_socket("/rooms/lobby/", session="secret-session-key")
    record = (await registry.connections())["connections"][0]
    assert record["session_hash"] == session_hash("secret-session-key")
    assert "secret-session-key" not in json.dumps(record)
    await socket.disconnect()


async def test_live_view_says_when_the_request_is_gone(registry):
    staff = await logged_in(await member("staffer", staff=True))
    with override_settings(DEBUG=True, INTERNAL_IPS=["127.0.0.1"]):
        response = await staff.get(reverse("djdt:channels_routing_live"), {"request_id": "x"})
        assert "available anymore. Please reload the page" in response.json()["content"]
    response = await staff.get(reverse("djdt:channels_routing_live"), {"request_id": "x"})
    assert response.status_code == 404  # toolbar not shown: the view is not there either


def recorded_django():
    """The Django project behind the recorder, as the demo's asgi.py serves it."""
    return ClientAddress(
        RoutingRecorderMiddleware(ProtocolTypeRouter({"http": get_asgi_application()}))
    )


async def get_page(session=None):
    """The demo's page through Django's ASGI handler, with the ``sessionid`` cookie if given."""
    headers = [(b"host", b"127.0.0.1")]
    if session:
        headers.append((b"cookie", f"sessionid={session}".encode()))
    communicator = HttpCommunicator(recorded_django(), "GET", "/", headers=headers)
    response = await communicator.get_response(timeout=10)
    assert response["status"] == 200
    return response["body"].decode()


@override_settings(DEBUG=True, INTERNAL_IPS=["127.0.0.1"])
async def test_whole_stack_under_asgi_reads_the_registry_once_and_skips_its_own_request(
    registry,
):
    socket = await open_socket("/rooms/lobby/")
    staff = await logged_in(await member("staffer", staff=True))
    before = registry.reads
    body = await get_page(session_of(staff))
    assert registry.reads - before == 1
    # The request for the page is live while it is served; the panel does not count it.
    assert re.search(r"Channels routing\s*<br><small>1 live · 1 group</small>", body)
    request_id = re.search(r'data-request-id="(\w+)"', body).group(1)
    response = await staff.get(
        "/__debug__/render_panel/",
        {"request_id": request_id, "panel_id": ChannelsRoutingPanel.panel_id},
    )
    data = response.json()
    assert data["scripts"] == ["/static/channels_admin/panel.js"]
    assert "Reading the live connections" in data["content"]
    live = await staff.get(reverse("djdt:channels_routing_live"), {"request_id": request_id})
    assert "<code>room=lobby</code>" in live.json()["content"]
    assert live.json()["content"].count("data-connection=") == 1
    await socket.disconnect()


@override_settings(DEBUG=True, INTERNAL_IPS=["127.0.0.1"])
async def test_whole_stack_for_anyone_but_staff_reads_nothing(registry):
    socket = await open_socket("/rooms/lobby/")
    visitor = await logged_in(await member("visitor", staff=False))
    before = registry.reads
    for body in (await get_page(), await get_page(session_of(visitor))):
        assert "<h1>Demo chat</h1>" in body
        assert re.search(r"Channels routing\s*<br><small>staff only</small>", body)
    assert registry.reads == before
    await socket.disconnect()


async def test_nothing_is_read_when_the_toolbar_is_not_shown(registry):
    socket = await open_socket("/rooms/lobby/")
    before = registry.reads
    with override_settings(DEBUG=False):
        body = await get_page()
    with override_settings(DEBUG=True, INTERNAL_IPS=["10.0.0.1"]):
        body += await get_page()
    assert "djDebug" not in body
    assert registry.reads == before
    await socket.disconnect()


@override_settings(DEBUG=True, INTERNAL_IPS=["127.0.0.1"])
async def test_a_failing_registry_shows_in_the_panel_and_the_page_is_served():
    staff = await logged_in(await member("staffer", staff=True))
    set_registry(BrokenRegistry())
    try:
        body = await get_page(session_of(staff))
    finally:
        set_registry(None)
    assert "<h1>Demo chat</h1>" in body
    assert re.search(r"Channels routing\s*<br><small>unavailable</small>", body)
    request_id = re.search(r'data-request-id="(\w+)"', body).group(1)
    stored = DebugToolbar.fetch(request_id, ChannelsRoutingPanel.panel_id)
    content = stored.get_panel_by_id(ChannelsRoutingPanel.panel_id).content
    assert "ConnectionError: registry is down" in content


def test_sync_toolbar_under_wsgi_reads_the_registry_too(settings):
    settings.DEBUG = True
    settings.INTERNAL_IPS = ["127.0.0.1"]
    registry = CountingRegistry()
    set_registry(registry)
    layer = get_channel_layer()
    client = Client()
    staffer = User.objects.create_user("staffer", is_staff=True)
    staffer.user_permissions.add(Permission.objects.get(codename="view_connection"))
    client.force_login(staffer)
    try:
        async_to_sync(layer.group_add)("sync_group", "sync.channel")
        body = client.get("/").content.decode()
    finally:
        async_to_sync(layer.flush)()
        set_registry(None)
    assert registry.reads == 1
    assert re.search(r"Channels routing\s*<br><small>0 live · 1 group</small>", body)


def reload_toolbar_urls(settings, panels):
    """Serve the toolbar's URLs for ``panels`` (it builds them once, at import)."""
    settings.DEBUG_TOOLBAR_PANELS = panels
    DebugToolbar._urlpatterns = None
    importlib.reload(debug_toolbar.urls)
    clear_url_caches()


@pytest.fixture
def with_history(settings, only_this_panel):
    before = settings.DEBUG_TOOLBAR_PANELS
    reload_toolbar_urls(settings, ["debug_toolbar.panels.history.HistoryPanel", PANEL])
    yield
    reload_toolbar_urls(settings, before)


@override_settings(DEBUG=True, INTERNAL_IPS=["127.0.0.1"])
async def test_the_toolbars_own_views_never_show_a_staff_members_connections(
    registry, with_history
):
    """The toolbar is shown to a non-staff visitor too (DEBUG and INTERNAL_IPS): its history
    lists the staff member's request, but no toolbar view renders that request's connections."""
    socket = await open_socket("/rooms/lobby/")
    staff = await logged_in(await member("staffer", staff=True))
    visitor = await logged_in(await member("visitor", staff=False))
    body = await get_page(session_of(staff))
    request_id = re.search(r'data-request-id="(\w+)"', body).group(1)

    listed = await visitor.get("/__debug__/history_refresh/", {"request_id": request_id})
    assert request_id in listed.content.decode()  # the toolbar's own listing, as it is
    answers = [
        await visitor.get(
            "/__debug__/render_panel/",
            {"request_id": request_id, "panel_id": ChannelsRoutingPanel.panel_id},
        ),
        await visitor.get("/__debug__/history_sidebar/", {"request_id": request_id}),
        await visitor.get(reverse("djdt:channels_routing_live"), {"request_id": request_id}),
    ]
    for response in answers:
        content = json.dumps(response.json())
        assert "room=lobby" not in content and "data-connection" not in content, content[:300]
    assert "Staff only." in answers[-1].json()["content"]
    await socket.disconnect()


async def test_a_registry_class_that_cannot_be_imported_shows_in_the_panel():
    with override_settings(CHANNELS_ADMIN={"REGISTRY": "channels_admin.registry.nowhere.R"}):
        panel = await debugged(page_request())
        assert panel.nav_subtitle == "unavailable"
        assert "CHANNELS_ADMIN[&#x27;REGISTRY&#x27;]" in panel.content
        assert "cannot be imported" in panel.content
