"""The dashboard in headless Chromium against the demo on daphne: live table, detail, route
tester, closing a chat socket from the admin.

Screenshots of every page go to ``$CHANNELS_ADMIN_SCREENSHOTS`` (the test's temporary directory
by default). ``CHANNELS_ADMIN_SCREENSHOTS=docs/screenshots pytest tests/test_dashboard_browser.py``
refreshes the README's.
"""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

TIMEOUT = 15_000  # ms, for anything that waits on the server or on a refresh
DASHBOARD = "/admin/channels-routing/"


def log_in(page, server):
    page.goto(server.url + "/admin/login/?next=/admin/")
    page.fill("#id_username", server.username)
    page.fill("#id_password", server.password)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible(timeout=TIMEOUT)


def test_watch_a_chat_socket_live_and_close_it_from_the_admin(browser, demo_server, screenshots):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, color_scheme="light")
    context.set_default_timeout(TIMEOUT)
    admin = context.new_page()
    log_in(admin, demo_server)

    # The admin index leads to the dashboard.
    admin.get_by_role("link", name="Live connections").first.click()
    expect(admin).to_have_url(demo_server.url + DASHBOARD + "connections/")
    admin.select_option("[data-rate]", "1")
    expect(admin.locator("[data-state]")).to_have_text("live")
    expect(admin.locator("#result_list")).to_contain_text("No connection matches.")
    admin.evaluate("window.notReloaded = true")

    # A second tab opens the chat; its socket appears in the table without a reload.
    chat = context.new_page()
    chat.goto(demo_server.url + "/")
    expect(chat.locator("#chat-status")).to_have_text("connected")
    row = admin.locator("#result_list tbody tr", has_text="/ws/chat/lobby/")
    expect(row.locator('code[title="chat.consumers.ChatConsumer"]')).to_have_text("ChatConsumer")
    expect(row).to_contain_text("room=lobby")
    expect(row).to_contain_text("chat_lobby")
    assert admin.evaluate("window.notReloaded") is True
    chat.evaluate(f"new WebSocket('{demo_server.ws_url}/ws/nowhere/')")  # a miss to show
    screenshots(admin, "connections")

    # Filtering refreshes the table in place, updates the URL, and survives the next refresh.
    admin.fill("input[name=path]", "/ws/chat/")  # the page's other sockets do not match
    expect(admin).to_have_url(re.compile(r".*/connections/\?path=%2Fws%2Fchat%2F&"))
    stamp = admin.locator("#live .ca-updated time").get_attribute("datetime")
    expect(admin.locator("#live .ca-updated time")).not_to_have_attribute("datetime", stamp)
    expect(admin.locator("#result_list tbody tr")).to_have_count(1)
    assert admin.evaluate("window.notReloaded") is True
    assert admin.input_value("input[name=path]") == "/ws/chat/"

    # Pause stops the refresh.
    admin.click("[data-pause]")
    expect(admin.locator("[data-state]")).to_have_text("paused")
    admin.wait_for_timeout(1000)  # a refresh already under way may still land
    stamp = admin.locator("#live .ca-updated time").get_attribute("datetime")
    admin.wait_for_timeout(2500)  # over two periods of the 1 s rate: nothing may change
    assert admin.locator("#live .ca-updated time").get_attribute("datetime") == stamp
    admin.click("[data-pause]")
    expect(admin.locator("[data-state]")).to_have_text("live")

    # The connection's page: its group, its route. Refreshes wait while the pointer is over
    # the table, so the row stays put under it.
    box = admin.locator("#live").bounding_box()
    admin.mouse.move(box["x"] + 10, box["y"] + 10)
    row.locator("th a").click()
    expect(admin.locator("#connection-groups")).to_contain_text("chat_lobby")
    expect(admin.locator("#connection-state")).to_have_text("accepted")
    detail_url = admin.url
    screenshots(admin, "connection")

    group = admin.locator(".ca-group", has_text="chat_lobby")
    box = group.bounding_box()  # the pointer over the live region holds its refreshes
    admin.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    group.click()
    expect(admin.locator("#result_list")).to_contain_text("chat_lobby")
    screenshots(admin, "groups")

    # The route tester draws where a path goes.
    admin.get_by_role("link", name="Route tester").click()
    admin.fill("input[name=path]", "/ws/number/42/page/x/")
    admin.click("#resolve-form input[type=submit]")
    expect(admin.locator(".ca-verdict")).to_contain_text("No application would take")
    expect(admin.locator(".ca-path-tried")).to_contain_text("URLRouter")
    screenshots(admin, "resolve-miss")
    admin.fill("input[name=path]", "/ws/chat/lobby/")
    admin.click("#resolve-form input[type=submit]")
    expect(admin.locator(".ca-verdict")).to_contain_text("chat.consumers.ChatConsumer")
    expect(admin.locator(".ca-leaf.ca-path-taken")).to_contain_text("ChatConsumer")
    screenshots(admin, "resolve")

    admin.get_by_role("link", name="Decisions").click()
    expect(admin.locator("#live")).to_contain_text("/ws/nowhere/")
    screenshots(admin, "decisions")
    admin.get_by_role("link", name="Overview").click()
    expect(admin.locator("#live")).to_contain_text("live connections")
    screenshots(admin, "overview")

    # A refresh replaces the live region in place: the scroll position stays.
    admin.set_viewport_size({"width": 1440, "height": 500})
    admin.mouse.move(5, 5)  # off the region: refreshes wait while the pointer is on it
    admin.evaluate("window.scrollTo(0, 200)")
    stamp = admin.locator("#live .ca-updated time").get_attribute("datetime")
    expect(admin.locator("#live .ca-updated time")).not_to_have_attribute("datetime", stamp)
    assert admin.evaluate("window.scrollY") == 200
    admin.set_viewport_size({"width": 1440, "height": 900})

    # Close the chat socket from its page: the chat tab sees the code.
    admin.goto(detail_url)
    admin.fill("#close-code", "4000")
    asked = []
    admin.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    admin.click(".ca-close-form input[type=submit]")
    expect(admin.locator(".messagelist")).to_contain_text("to close with code 4000")
    expect(chat.locator("#chat-status")).to_have_text("closed (code 4000)")
    expect(admin.locator("#connection-state")).to_have_text("closed")
    assert asked and "/ws/chat/lobby/" in asked[0]  # the browser asked before posting
    context.close()


def test_dark_mode_follows_the_browser(browser, demo_server, screenshots):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, color_scheme="dark")
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    log_in(page, demo_server)
    chat = context.new_page()
    chat.goto(demo_server.url + "/")
    expect(chat.locator("#chat-status")).to_have_text("connected")
    page.goto(demo_server.url + DASHBOARD)
    expect(page.locator("#live")).to_contain_text("chat.consumers.ChatConsumer")
    expect(page.locator(".ca-tree")).to_contain_text("chat.consumers.ChatConsumer")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(255, 255, 255)"
    card = page.evaluate("getComputedStyle(document.querySelector('.ca-card')).backgroundColor")
    assert card != "rgb(248, 248, 248)"  # --darkened-bg of the light theme
    screenshots(page, "overview-dark")
    context.close()


def test_without_javascript_the_pages_are_plain_loads(browser, demo_server):
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    log_in(page, demo_server)
    page.goto(demo_server.url + DASHBOARD + "connections/?state=closed&type=all")  # HTTP too
    expect(page.locator("#live-controls")).to_be_hidden()  # nothing to pause without refresh
    page.fill("input[name=path]", "/admin/login/")
    page.click("#toolbar input[type=submit]")
    expect(page).to_have_url(
        re.compile(r".*/connections/\?path=%2Fadmin%2Flogin%2F&.*state=closed")
    )
    rows = page.locator("#result_list tbody tr")
    expect(rows.first).to_contain_text("/admin/login/")
    for text in rows.all_inner_texts():
        assert "/admin/login/" in text
    context.close()
