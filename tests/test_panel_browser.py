"""The Channels routing panel in headless Chromium, on the demo served by a real daphne.

With ``CHANNELS_ADMIN_SCREENSHOTS=1`` the panel test also saves docs/screenshots/panel.png.
"""

import os
import re

import pytest
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import expect

from tests.conftest import ROOT

pytestmark = pytest.mark.browser

TIMEOUT = 10_000  # ms


def logged_in_page(browser, server):
    """A page of a browser that logged in to the admin: its sockets carry the session."""
    page = browser.new_context(viewport={"width": 1600, "height": 1000}).new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(server.url + "/admin/login/?next=/admin/")
    page.fill("#id_username", server.username)
    page.fill("#id_password", server.password)
    page.click("input[type=submit]")
    page.wait_for_url(server.url + "/admin/")
    return page


def open_panel(page):
    """Show the collapsed toolbar and open the panel (Playwright's CSS pierces shadow DOM)."""
    page.click("#djShowToolBarButton")
    page.click("a.ChannelsRoutingPanel")
    panel = page.locator("#ChannelsRoutingPanel")
    # panel.js has bound its handlers and refreshed the live part: clicks now reach it.
    expect(page.locator("#djDebug")).to_have_attribute("data-channels-routing-bound", "true")
    expect(panel.locator(".channels-routing")).to_have_attribute(
        "data-channels-routing-refreshed", re.compile(".")
    )
    return panel


def test_panel_marks_the_sockets_the_page_opened(browser, demo_server):
    page = logged_in_page(browser, demo_server)
    page.goto(demo_server.url + "/")
    expect(page.locator("#number-status")).to_have_text("connected")
    expect(page.locator("#chat-status")).to_have_text("connected")
    # A socket nothing routes: a miss for the panel's list.
    page.evaluate("new WebSocket(`ws://${location.host}/ws/nowhere/`)")

    panel = open_panel(page)

    # The page opened its sockets after it loaded; opening the panel reads them live.
    mine = panel.locator('tr[data-mark="page"]')
    expect(mine.filter(has_text="/ws/number/42/page/3/")).to_have_count(1)
    consumer = mine.locator('code[title="chat.consumers.NumberConsumer"]')  # module on hover
    expect(consumer).to_have_text("NumberConsumer")
    expect(mine.filter(has_text="/ws/chat/lobby/")).to_contain_text("chat_lobby")
    expect(mine.filter(has_text="/ws/chat/lobby/")).to_contain_text(demo_server.username)
    expect(panel.locator('tr[data-group="chat_lobby"]')).to_contain_text("1")
    expect(panel.locator('tr[data-outcome="miss"]')).to_contain_text("/ws/nowhere/")
    expect(panel).to_contain_text("ws/chat/<slug:room>/")  # the router tree
    # The subtitle was counted when the page was served, before its sockets; now it is live.
    subtitle = page.locator("#djdt-ChannelsRoutingPanel small")
    expect(subtitle).to_have_text(re.compile(r"^[1-9]\d* live · [1-9]\d* groups?$"))

    # Close the panel, join another room, open the panel again: it reads the registry anew.
    panel.locator(".djDebugClose").click()
    page.evaluate(  # the page's own join(), resolved once the new socket is open
        "() => new Promise((opened) => { join('kitchen'); chat.onopen = opened; })"
    )
    page.click("a.ChannelsRoutingPanel")
    expect(mine.filter(has_text="/ws/chat/kitchen/")).to_have_count(1)
    expect(mine.filter(has_text="/ws/chat/lobby/")).to_have_count(0)
    expect(panel.locator('tr[data-group="chat_kitchen"]')).to_be_visible()

    # The Refresh button, with the panel open.
    page.evaluate("new WebSocket(`ws://${location.host}/ws/number/7/page/1/`)")
    panel.locator("[data-channels-routing-refresh]").click()
    expect(mine.filter(has_text="/ws/number/7/page/1/")).to_have_count(1)

    if os.environ.get("CHANNELS_ADMIN_SCREENSHOTS") == "1":
        page.screenshot(path=str(ROOT / "docs" / "screenshots" / "panel.png"))
    page.context.close()


def test_route_tester_answers_in_the_panel(browser, demo_server):
    page = logged_in_page(browser, demo_server)
    page.goto(demo_server.url + "/")
    panel = open_panel(page)
    try:
        reverse("admin:channels_admin_resolve")
    except NoReverseMatch:
        # Without the dashboard there is no resolve endpoint: the panel says where to look.
        expect(panel).to_contain_text("The route tester uses the dashboard")
        expect(panel.locator("form[data-channels-routing-tester]")).to_have_count(0)
        return
    form = panel.locator("form[data-channels-routing-tester]")
    form.locator("input[name=path]").fill("/ws/chat/lobby/")
    form.locator("button").click()
    answer = panel.locator(".channels-routing-answer")
    expect(answer).to_contain_text("chat.consumers.ChatConsumer")
    expect(answer).to_contain_text('"room":"lobby"')
    form.locator("input[name=path]").fill("/ws/nowhere/")
    form.locator("button").click()
    expect(answer).to_contain_text("no match")
    expect(panel.locator("[data-channels-routing-result]")).to_contain_text(
        "pattern did not match"
    )
    page.context.close()


def test_logged_out_visitor_sees_only_the_staff_only_message(browser, demo_server):
    page = browser.new_context().new_page()  # a fresh context: no admin session
    page.set_default_timeout(TIMEOUT)
    page.goto(demo_server.url + "/")
    expect(page.locator("#chat-status")).to_have_text("connected")
    page.click("#djShowToolBarButton")
    expect(page.locator("#djdt-ChannelsRoutingPanel small")).to_have_text("staff only")
    page.click("a.ChannelsRoutingPanel")
    panel = page.locator("#ChannelsRoutingPanel")
    message = panel.locator("[data-channels-routing-staff-only]")
    expect(message).to_contain_text("Staff only.")
    expect(message.locator("a")).to_have_attribute("href", "/admin/login/?next=%2F")
    expect(panel.locator("tr[data-connection]")).to_have_count(0)
    expect(panel).not_to_contain_text("/ws/chat/lobby/")
    page.context.close()
