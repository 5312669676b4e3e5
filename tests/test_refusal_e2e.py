"""End to end: a WebSocket refused by AllowedHostsOriginValidator on a real daphne, as the
client sees it (HTTP 403) and as the dashboard tells it, in JSON and in headless Chromium
(which also takes the README's screenshots of a refusal and of a near miss)."""

import pytest
from playwright.sync_api import expect
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.test_dashboard_browser import TIMEOUT, log_in
from tests.test_dashboard_e2e import DASHBOARD, Session, poll

pytestmark = pytest.mark.browser


def test_a_bad_origin_is_refused_with_http_403_and_the_dashboard_names_the_validator(
    demo_server,
    browser,
    screenshots,
):
    with pytest.raises(InvalidStatus) as refused:
        connect(demo_server.ws_url + "/ws/chat/lobby/", origin="http://evil.example")
    assert refused.value.response.status_code == 403

    staff = Session(demo_server.url)
    staff.log_in(demo_server.username, demo_server.password)
    overview = poll(
        lambda: staff.get_json(DASHBOARD + "?format=json"),
        lambda data: any(p["outcome"] == "refused" for p in data["problems"]),
        "the refusal among the overview's problems",
    )
    [problem] = [p for p in overview["problems"] if p["outcome"] == "refused"]
    sentence = (
        "Refused by OriginValidator before the consumer ran: origin http://evil.example is "
        "not allowed; the client saw HTTP 403."
    )
    assert problem["refusal"] == sentence and problem["consumer"] is None
    assert problem["refused_by"] == "channels.security.websocket.OriginValidator"
    assert problem["steps"][-1]["kind"] == "refusal"

    closed = staff.get_json(DASHBOARD + "connections/?state=rejected&format=json")
    [record] = closed["connections"]
    assert (record["state"], record["status"], record["outcome"]) == ("rejected", 403, "refused")

    response, page = staff.request("GET", DASHBOARD)
    assert response.status == 200 and sentence.encode() in page
    response, page = staff.request("GET", DASHBOARD + f"connections/{record['id']}/")
    assert b'id="connection-refusal"' in page and sentence.encode() in page

    # The dashboard's own requests are not recorded, only the sockets it is about.
    http = staff.get_json(DASHBOARD + "connections/?type=http&state=all&format=json")
    assert not [c for c in http["connections"] if c["path"].startswith(DASHBOARD)]

    # What a person sees: the refusal on the connection's page, a near miss in the tester.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    log_in(page, demo_server)
    page.goto(demo_server.url + DASHBOARD + f"connections/{record['id']}/")
    expect(page.locator("#connection-refusal")).to_have_text(sentence)
    expect(page.locator("#connection-state")).to_have_text("rejected")
    screenshots(page, "refused")
    page.goto(demo_server.url + DASHBOARD + "resolve/")
    page.fill("input[name=path]", "  ws://localhost:8000/ws/chat/lobby?room=1 ")
    page.click("#resolve-form input[type=submit]")
    expect(page.locator(".ca-nearest")).to_contain_text(
        "ws/chat/<slug:room>/ · hint: add a trailing slash: 'ws/chat/lobby/'"
    )
    expect(page.locator("#resolve-query")).to_contain_text("room=1")
    screenshots(page, "near-miss")
    context.close()
