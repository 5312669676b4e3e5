"""Activity charts and a connection's frames in headless Chromium, against the demo on daphne.

The demo runs with DEBUG on, so its connections keep their frames (RECORD_EVENTS None).
``CHANNELS_ADMIN_SCREENSHOTS=docs/screenshots`` refreshes the README's screenshots.
"""

import pytest
from playwright.sync_api import expect

from tests.test_dashboard_browser import DASHBOARD, TIMEOUT, log_in

pytestmark = pytest.mark.browser


def say(chat, text):
    chat.fill("#message", text)
    chat.press("#message", "Enter")
    expect(chat.locator("#log")).to_contain_text(text)


def stroke(page, selector):
    return page.evaluate(f"getComputedStyle(document.querySelector('{selector}')).stroke")


def test_charts_follow_the_theme_update_on_refresh_and_frames_show(
    browser, demo_server, screenshots
):
    strokes = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
        context.set_default_timeout(TIMEOUT)
        admin = context.new_page()
        log_in(admin, demo_server)
        admin.goto(demo_server.url + DASHBOARD + "activity/")
        admin.select_option("[data-rate]", "1")
        for chart in ("live", "connections", "messages", "bytes"):
            expect(admin.locator(f"#chart-{chart} svg polyline").first).to_be_attached()
        strokes[scheme] = (
            stroke(admin, "#chart-live polyline"),
            stroke(admin, "#chart-messages polyline.ca-line-2"),
        )
        if scheme == "dark":
            screenshots(admin, "activity-dark")
            context.close()
            continue

        # A chat socket opens and talks: the charts redraw on the next refresh, no reload.
        admin.evaluate("window.notReloaded = true")
        chat = context.new_page()
        chat.goto(demo_server.url + "/")
        expect(chat.locator("#chat-status")).to_have_text("connected")
        expect(admin.locator("#chart-live [data-series=live] b")).not_to_have_text("0")
        for text in ("hello from the test", "how is everyone?", "fine here"):
            say(chat, text)
        expect(admin.locator("#chart-messages [data-series=messages_in] b")).not_to_have_text("0")
        assert admin.locator("#chart-messages polyline").first.get_attribute("points")
        assert admin.evaluate("window.notReloaded") is True
        live_cell = admin.locator("#activity-table tbody tr").first.locator("td").nth(1)
        expect(live_cell).not_to_have_text("0")  # the table without JavaScript says it too
        # The next bucket (10 s) arrives by refresh too.
        expect(admin.locator("#activity-table tbody tr")).to_have_count(2, timeout=20_000)
        say(chat, "in the next bucket")
        expect(
            admin.locator("#activity-table tbody tr").first.locator("td").nth(7)
        ).not_to_have_text("0 / 0")
        screenshots(admin, "activity")

        # Its connection's page lists the frames, live.
        admin.goto(demo_server.url + DASHBOARD + "connections/?path=/ws/chat/")
        link = admin.locator("#result_list tbody tr th a").first.get_attribute("href")
        admin.goto(demo_server.url + link)
        frames = admin.locator("#events-table")
        expect(frames).to_contain_text("hello from the test")
        expect(frames).to_contain_text("chat.message")  # the group message to its consumer
        say(chat, "said after the page loaded")
        expect(frames).to_contain_text("said after the page loaded")
        screenshots(admin, "connection-frames")
        context.close()

    assert strokes["light"][0] != strokes["dark"][0]  # --link-fg of each theme
    assert strokes["light"][1] != strokes["dark"][1]  # --body-quiet-color of each theme
