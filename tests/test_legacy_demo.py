"""The example project's Channels 1 chat, served by a real daphne to real websocket clients."""

import asyncio
import http.cookiejar
import json
import re
import urllib.parse
import urllib.request

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

TIMEOUT = 5


def staff_session_cookie(server):
    """Log in through the admin's login form; return the Cookie header the browser would send."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_url = f"{server.url}/admin/login/"
    page = opener.open(login_url, timeout=TIMEOUT).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = {
        "csrfmiddlewaretoken": token,
        "username": server.username,
        "password": server.password,
        "next": "/admin/",
    }
    opener.open(login_url, data=urllib.parse.urlencode(form).encode(), timeout=TIMEOUT)
    cookies = {cookie.name: cookie.value for cookie in jar}
    assert "sessionid" in cookies, "the admin login did not set a session cookie"
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


async def receive_json(socket):
    return json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT))


async def test_legacy_chat_and_streams_on_daphne(demo_server):
    cookie = await asyncio.to_thread(staff_session_cookie, demo_server)
    url = f"{demo_server.ws_url}/ws/legacy"
    origin = demo_server.url
    async with (
        connect(f"{url}/chat/lobby/", origin=origin, additional_headers={"Cookie": cookie}) as ann,
        connect(f"{url}/chat/lobby/", origin=origin) as guest,
    ):
        await ann.send("hello from staff")
        expected = {"author": demo_server.username, "text": "hello from staff"}
        assert await receive_json(ann) == expected
        assert await receive_json(guest) == expected
        await guest.send("hello from a guest")
        assert (await receive_json(ann))["author"] == "anonymous"

    async with connect(
        f"{url}/streams/", origin=origin, additional_headers={"Cookie": cookie}
    ) as s:
        assert await receive_json(s) == {
            "stream": "who",
            "payload": {"user": demo_server.username},
        }
        await s.send(json.dumps({"stream": "nope", "payload": {}}))
        assert await receive_json(s) == {"error": "unknown stream 'nope'"}
        await s.send(json.dumps({"stream": "echo", "payload": {"n": 1}}))
        assert await receive_json(s) == {"stream": "echo", "payload": {"echo": {"n": 1}}}

    with pytest.raises(InvalidStatus) as rejected:  # no route: the handshake is refused
        async with connect(f"{url}/nowhere/", origin=origin):
            pass
    assert rejected.value.response.status_code == 403


@pytest.mark.browser
def test_demo_page_chats_through_the_channels_1_routing(demo_server, browser):
    page = browser.new_page()
    try:
        page.goto(f"{demo_server.url}/")
        page.wait_for_function(
            "document.getElementById('legacy-status').textContent === 'connected'",
            timeout=TIMEOUT * 1000,
        )
        page.fill("#legacy-message", "typed in chromium")
        page.click("#legacy-form button")
        page.wait_for_selector("#legacy-log li", timeout=TIMEOUT * 1000)
        assert page.text_content("#legacy-log li") == "anonymous: typed in chromium"
    finally:
        page.close()
