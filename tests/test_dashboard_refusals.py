"""The dashboard and panel on refusals, near misses, action routes and what they leave out."""

import pytest
from channels.testing import HttpCommunicator, WebsocketCommunicator
from demo.asgi import application
from django.core.checks import run_checks
from django.test import override_settings

from channels_admin.panels import read_live, subtitle
from tests import dashboard_support
from tests.dashboard_support import DASHBOARD, HEADERS
from tests.test_dashboard_views import get_html, get_json

registry = dashboard_support.registry
sockets = dashboard_support.sockets
staff = dashboard_support.staff

pytestmark = pytest.mark.django_db(transaction=True)

REFUSAL = (
    "Refused by OriginValidator before the consumer ran: origin http://evil.example is not "
    "allowed; the client saw HTTP 403."
)
UNRECORDED = "tests.routing_modules.unrecorded.application"


async def refused_by_origin(path="/ws/chat/lobby/"):
    headers = [(b"origin", b"http://evil.example"), (b"host", b"localhost")]
    communicator = WebsocketCommunicator(application, path, headers=headers)
    assert not (await communicator.connect())[0]
    await communicator.send_input({"type": "websocket.disconnect", "code": 1006})
    await communicator.wait()


async def test_overview_lists_a_refusal_among_the_problems_in_words(staff, registry):
    await refused_by_origin()
    data = await get_json(staff, DASHBOARD)
    [problem] = data["problems"]
    assert problem["outcome"] == "refused" and problem["refusal"] == REFUSAL
    assert data["decisions"]["outcomes"] == {"refused": 1}
    html = await get_html(staff, DASHBOARD)
    assert REFUSAL in html
    assert 'title="refused: a layer above the consumer closed the handshake' in html
    assert 'id="legend"' in html and "<dt>refused</dt>" in html and "<dt>rejected</dt>" in html
    decisions = await get_html(staff, DASHBOARD + "decisions/?outcome=refused")
    assert REFUSAL in decisions and '<option value="refused" selected>' in decisions


async def test_the_panel_lists_refusals_too(registry):
    await refused_by_origin()
    live = await read_live({"time": 0, "session": None})
    assert [d["error"] for d in live["decisions"]] == [REFUSAL]
    assert live["not_recording"] is None


async def test_tester_takes_a_pasted_url_and_shows_the_hint(staff, registry):
    pasted = "  ws://localhost:8000/ws/chat/lobby?x=1 "
    url = DASHBOARD + "resolve/?path=" + pasted.replace(" ", "%20").replace("?", "%3F")
    url = url.replace("&", "%26").replace("=1", "%3D1")
    result = await get_json(staff, url)
    assert result["matched"] is False
    assert result["nearest"] == {
        "pattern": "ws/chat/<slug:room>/",
        "hint": "add a trailing slash: 'ws/chat/lobby/'",
    }
    html = await get_html(staff, url)
    assert 'id="resolve-query"' in html and "<code>x=1</code>" in html
    assert "websocket /ws/chat/lobby</code>" in html
    assert "hint: add a trailing slash: &#x27;ws/chat/lobby/&#x27;" in html


async def test_tester_resolves_an_action_route(staff, registry):
    url = DASHBOARD + "resolve/?path=/ws/api/&route=v1/rooms/5/messages/"
    result = await get_json(staff, url)
    assert result["matched"] is True
    assert result["handler"] == "rooms.actions.MessagesHandler"
    assert result["kwargs"] == {"pk": 5}
    assert [step["kind"] for step in result["steps"]] == ["action_router", "action_router"]
    html = await get_html(staff, url)
    assert 'id="resolve-action"' in html and "rooms.actions.MessagesHandler" in html
    miss = await get_json(staff, DASHBOARD + "resolve/?path=/ws/api/&route=v1/rooms/x/messages/")
    assert miss["matched"] is False
    assert miss["nearest"]["hint"] == "'x' is not an int for <int:pk>"


async def test_the_tree_shows_each_handlers_actions(staff, registry):
    html = await get_html(staff, DASHBOARD)
    assert "actions: <code>create</code>, <code>list</code>, <code>subscribe</code>" in html


async def test_connections_default_to_websocket_with_a_switch(staff, sockets):
    await sockets.connect("/ws/chat/lobby/")
    http = HttpCommunicator(application, "GET", "/admin/login/", headers=HEADERS)
    await http.get_response()
    assert (await get_json(staff, DASHBOARD + "connections/?state=all"))["total"] == 1
    assert (await get_json(staff, DASHBOARD + "connections/?state=all&type=http"))["total"] == 1
    assert (await get_json(staff, DASHBOARD + "connections/?state=all&type=all"))["total"] == 2
    html = await get_html(staff, DASHBOARD + "connections/")
    assert 'id="type-switch"' in html
    assert '<a href="?type=websocket" aria-current="true">WebSocket</a>' in html


@pytest.mark.parametrize("path", ["/favicon.ico", "/__debug__/render_panel/", DASHBOARD])
async def test_noise_is_not_recorded(registry, path):
    await HttpCommunicator(application, "GET", path, headers=HEADERS).get_response()
    assert (await registry.connections(live=None))["total"] == 0


@override_settings(ROOT_URLCONF="tests.dashboard_site_urls")
async def test_a_dashboard_under_another_prefix_is_not_recorded_either(registry):
    path = "/staff/channels-routing/"
    await HttpCommunicator(application, "GET", path, headers=HEADERS).get_response()
    assert (await registry.connections(live=None))["total"] == 0


def test_check_warns_when_the_recorder_is_not_installed():
    with override_settings(ASGI_APPLICATION=UNRECORDED):
        [warning] = [m for m in run_checks() if m.id == "channels_admin.W011"]
    assert warning.msg.startswith(
        f"ASGI_APPLICATION ({UNRECORDED}) is not wrapped in RoutingRecorderMiddleware"
    )
    assert "RoutingRecorderMiddleware(application)" in warning.hint
    assert not [m for m in run_checks() if m.id == "channels_admin.W011"]  # the demo is


async def test_dashboard_and_panel_say_why_the_picture_is_empty(staff, registry):
    with override_settings(ASGI_APPLICATION=UNRECORDED):
        html = await get_html(staff, DASHBOARD + "connections/")
        data = await get_json(staff, DASHBOARD)
        live = await read_live({"time": 0, "session": None})
    sentence = f"ASGI_APPLICATION ({UNRECORDED}) is not wrapped in RoutingRecorderMiddleware"
    assert 'id="not-recording"' in html and sentence in html
    assert data["not_recording"].startswith(sentence)
    assert live["not_recording"] == data["not_recording"]
    assert subtitle(live) == "not recording"
