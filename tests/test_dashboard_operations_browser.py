"""The dashboard's actions, table layout and accessibility in headless Chromium, against the demo
on daphne: the action bar and its confirmation, keyboard only; the connections table at 1280 px;
axe-core on every page and on the panel, light and dark.

Screenshots go to ``$CHANNELS_ADMIN_SCREENSHOTS`` (the test's temporary directory by default):
``CHANNELS_ADMIN_SCREENSHOTS=docs/screenshots pytest tests/test_dashboard_operations_browser.py``
refreshes the README's.
"""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

TIMEOUT = 15_000  # ms
DASHBOARD = "/admin/channels-routing/"
ROOMS = 24  # chat sockets besides the demo page's own: more rows than one screen

# Each text node of a path is one segment (split at the <wbr> after each / and .): one that
# takes more than one line box broke inside the segment.
BROKEN_SEGMENTS = """() => {
  const broken = [];
  for (const code of document.querySelectorAll("#result_list .ca-path code")) {
    const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(node);
      if (range.getClientRects().length > 1) broken.push(code.textContent);
    }
  }
  return broken;
}"""
TOO_WIDE = """() => Array.from(document.querySelectorAll("#content *"))
  .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 0.5)
  .map((element) => element.tagName + "." + element.className)"""
ROWS_SHOWN = """() => Array.from(document.querySelectorAll("#result_list tbody tr"))
  .filter((row) => row.getBoundingClientRect().bottom <= window.innerHeight).length"""


def logged_in(browser, server, username, password, **options):
    context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    page.goto(server.url + "/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()
    return page


def open_rooms(page, server):
    """The demo's page (a chat socket in the lobby, a number socket) and ROOMS more chats."""
    page.goto(server.url + "/")
    expect(page.locator("#chat-status")).to_have_text("connected")
    page.evaluate(
        """([url, rooms]) => {
          window.rooms = [];
          for (let i = 0; i < rooms; i++) {
            const socket = new WebSocket(`${url}/ws/chat/room-${i}/`);
            socket.onclose = (event) => { socket.closedWith = event.code; };
            window.rooms.push(socket);
          }
        }""",
        [server.ws_url, ROOMS],
    )
    page.wait_for_function(
        "window.rooms.every((socket) => socket.readyState === WebSocket.OPEN)", timeout=TIMEOUT
    )


def test_select_confirm_and_close_with_the_keyboard_in_a_table_that_fits_1280(
    browser, demo_server, screenshots
):
    chat = logged_in(
        browser, demo_server, demo_server.username, demo_server.password, color_scheme="light"
    )
    open_rooms(chat, demo_server)
    admin = chat.context.new_page()
    admin.set_viewport_size({"width": 1280, "height": 800})
    admin.goto(demo_server.url + DASHBOARD + "connections/?type=websocket&order=path")
    rows = admin.locator("#result_list tbody tr")
    expect(rows.filter(has_text=f"/ws/chat/room-{ROOMS - 1}/")).to_have_count(1)
    total = rows.count()
    assert total > ROOMS

    # The table fits 1280 px, shows 20+ rows, and breaks paths only between segments.
    assert admin.evaluate("document.documentElement.scrollWidth") <= 1280
    assert admin.evaluate(TOO_WIDE) == []
    admin.set_viewport_size({"width": 1280, "height": 900})
    assert admin.evaluate(ROWS_SHOWN) >= 20
    admin.set_viewport_size({"width": 1280, "height": 800})
    assert admin.evaluate(BROKEN_SEGMENTS) == []
    lobby = rows.filter(has_text="/ws/chat/lobby/")
    consumer = lobby.locator('code[title="chat.consumers.ChatConsumer"]')
    expect(consumer).to_have_text("ChatConsumer")
    screenshots(admin, "connections-1280", full_page=False)
    admin.set_viewport_size({"width": 1920, "height": 1080})
    screenshots(admin, "connections-1920", full_page=False)
    admin.set_viewport_size({"width": 1280, "height": 800})

    # Keyboard only: select two rooms with Space, run the action with Enter.
    admin.select_option("[data-rate]", "1")
    for room in ("room-0", "room-1"):
        admin.locator(f'tr:has-text("/ws/chat/{room}/") input.action-select').focus()
        admin.keyboard.press("Space")
    expect(admin.locator("[data-action-counter]")).to_have_text(f"2 of {total} selected")
    # The selection survives the live region's refreshes (focus elsewhere lets them run).
    admin.locator("input[name=path]").focus()
    stamp = admin.locator("#live .ca-updated time").get_attribute("datetime")
    expect(admin.locator("#live .ca-updated time")).not_to_have_attribute("datetime", stamp)
    expect(admin.locator("input.action-select:checked")).to_have_count(2)
    admin.locator(".ca-actions button[type=submit]").focus()
    admin.keyboard.press("Enter")

    # The confirmation lists what would close; nothing closed yet.
    expect(admin.locator("h1")).to_have_text("Close 2 connections?")
    expect(admin.locator("#close-list tbody tr")).to_have_count(2)
    expect(admin.locator("#close-list")).to_contain_text("/ws/chat/room-0/")
    assert chat.evaluate("window.rooms[0].readyState") == 1
    screenshots(admin, "close-confirmation", full_page=False)
    admin.locator("#close-code").fill("4002")
    admin.locator("#close-reason").fill("maintenance")
    admin.locator(".ca-confirm-form input[type=submit]").focus()
    admin.keyboard.press("Enter")
    expect(admin.locator(".messagelist")).to_contain_text("Asked 2 connections to close")
    chat.wait_for_function("window.rooms[0].closedWith === 4002 && window.rooms[1].closedWith")
    assert chat.evaluate("window.rooms[2].readyState") == 1

    # A single close asks in the browser first: dismissed, nothing closes.
    admin.goto(demo_server.url + DASHBOARD + "connections/?path=room-2/")
    admin.locator("#result_list tbody th a").click()
    admin.once("dialog", lambda dialog: dialog.dismiss())
    admin.click(".ca-close-form input[type=submit]")
    expect(admin.locator("#connection-state")).to_have_text("accepted")
    assert chat.evaluate("window.rooms[2].readyState") == 1

    # A group join from the connection's page, then the closed connection stops refreshing.
    admin.fill("#join-group", "ops_room")
    admin.click("#join-form input[type=submit]")
    expect(admin.locator(".messagelist")).to_contain_text("to group ops_room")
    expect(admin.locator("#connection-groups")).to_contain_text("by staff")
    admin.once("dialog", lambda dialog: dialog.accept())
    admin.click(".ca-close-form input[type=submit]")
    expect(admin.locator("#connection-state")).to_have_text("closed")
    expect(admin.locator("[data-state]")).to_have_text("connection closed: not refreshed")
    stamp = admin.locator("#live .ca-updated").inner_text()
    admin.wait_for_timeout(2500)  # over two periods of the 1 s rate: no refresh may come
    assert admin.locator("#live .ca-updated").inner_text() == stamp
    chat.context.close()


def test_every_page_and_the_panel_pass_axe_light_and_dark(browser, demo_server, axe, screenshots):
    demo_server.manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        "User.objects.create_user('blind', password='blind-password', is_staff=True)",
    )
    # Light: every rule. Dark: the same markup, so only what the theme changes (contrast).
    for scheme, rules in (("light", None), ("dark", ["color-contrast", "link-in-text-block"])):
        page = logged_in(
            browser,
            demo_server,
            demo_server.username,
            demo_server.password,
            color_scheme=scheme,
            viewport={"width": 1280, "height": 800},
        )
        page.goto(demo_server.url + "/")
        expect(page.locator("#chat-status")).to_have_text("connected")
        page.evaluate("new WebSocket(`ws://${location.host}/ws/nowhere/`)")
        dashboard = page.context.new_page()
        dashboard.goto(demo_server.url + DASHBOARD + "connections/?path=lobby")
        dashboard.locator("#result_list tbody th a").first.click()
        connection_url = dashboard.url
        pages = [
            "",
            "connections/",
            connection_url.replace(demo_server.url + DASHBOARD, ""),
            "groups/",
            "decisions/",
            "resolve/?path=/ws/chat/lobby/",
            "resolve/?path=/ws/nowhere/",
            "servers/",
            "activity/",
        ]
        for path in pages:
            dashboard.goto(demo_server.url + DASHBOARD + path)
            expect(dashboard.locator("#content-main")).to_be_visible()
            axe(dashboard, f"{path or 'overview'} ({scheme})", rules=rules)
        # The bulk close's confirmation page.
        dashboard.goto(demo_server.url + DASHBOARD + "groups/")
        dashboard.locator('tr[data-group="chat_lobby"] button').click()
        expect(dashboard.locator("#close-list")).to_be_visible()
        axe(dashboard, f"close confirmation ({scheme})", rules=rules)
        if scheme == "dark":
            dashboard.goto(demo_server.url + DASHBOARD + "connections/")
            screenshots(dashboard, "connections-1280-dark", full_page=False)
            dashboard.set_viewport_size({"width": 1920, "height": 1080})
            screenshots(dashboard, "connections-1920-dark", full_page=False)

        # The panel, opened on the demo's page (loaded again: the toolbar keeps only the
        # latest requests, and the dashboard's refreshes were requests too).
        dashboard.close()
        page.reload()
        expect(page.locator("#chat-status")).to_have_text("connected")
        page.click("#djShowToolBarButton")
        page.click("a.ChannelsRoutingPanel")
        panel = page.locator("#ChannelsRoutingPanel .channels-routing")
        expect(panel).to_have_attribute("data-channels-routing-refreshed", re.compile("."))
        # The panel's own content; the toolbar around it is django-debug-toolbar's.
        panel_only = {"include": [["#djDebugRoot", "#ChannelsRoutingPanel"]]}
        axe(page, f"panel ({scheme})", panel_only, rules)
        page.context.close()

    # Staff without the view permission: the 403 page, in the admin's look.
    blind = logged_in(browser, demo_server, "blind", "blind-password")
    response = blind.goto(demo_server.url + DASHBOARD)
    assert response.status == 403
    expect(blind.locator("#content-main")).to_contain_text("channels_admin.view_connection")
    axe(blind, "permission denied")
    blind.context.close()
