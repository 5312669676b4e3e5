"""A new user's first look: the demo page and the dashboard log no error in Chromium's console."""

import pytest
from playwright.sync_api import expect

from tests.test_dashboard_browser import TIMEOUT, log_in

pytestmark = pytest.mark.browser


def test_demo_page_and_dashboard_log_no_console_error(browser, demo_server):
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    errors = []
    page.on("console", lambda message: errors.extend(console_errors(message)))
    page.on("pageerror", lambda error: errors.append(str(error)))

    log_in(page, demo_server)
    page.goto(demo_server.url + "/")
    for status in ("#chat-status", "#number-status", "#api-status", "#legacy-status"):
        expect(page.locator(status)).to_have_text("connected")
    expect(page.locator("#api-log")).to_be_attached()
    # The room inputs' pattern is a valid regular expression, so it validates.
    assert page.evaluate("document.getElementById('room').validity.valid")
    page.fill("#room", "no spaces")
    assert page.evaluate("document.getElementById('room').validity.patternMismatch")

    page.goto(demo_server.url + "/admin/channels-routing/")
    expect(page.locator("#site-name")).to_be_visible()
    page.goto(demo_server.url + "/admin/channels-routing/connections/")
    expect(page.locator("#result_list")).to_be_visible()
    page.select_option("[data-rate]", "1")
    stamp = page.locator("#live .ca-updated time").get_attribute("datetime")
    expect(page.locator("#live .ca-updated time")).not_to_have_attribute("datetime", stamp)

    assert errors == []
    context.close()


def console_errors(message):
    """Return an error message with where it came from (a failed load names its URL)."""
    if message.type != "error":
        return []
    return ["%s (%s)" % (message.text, message.location.get("url"))]
