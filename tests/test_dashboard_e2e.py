"""End to end: the demo on a real daphne, a real `websockets` client, the dashboard's JSON read
with a logged-in session, and a connection closed from the dashboard."""

import http.client
import json
import re
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

DEADLINE = 15.0
DASHBOARD = "/admin/channels-routing/"
FORM = "application/x-www-form-urlencoded"


class Session:
    """An HTTP client of the demo with its own cookies (no redirects followed)."""

    def __init__(self, base_url):
        self.netloc = urlsplit(base_url).netloc
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection(self.netloc, timeout=DEADLINE)
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        for header in response.headers.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        connection.close()
        return response, payload

    def get_json(self, path):
        response, payload = self.request("GET", path)
        assert response.status == 200, (path, response.status, payload[:300])
        return json.loads(payload)

    def close_connection(self, connection, code):
        """Close a connection from the dashboard, as its button does (POST, CSRF token)."""
        return self.request(
            "POST",
            DASHBOARD + f"connections/{connection}/close/?format=json",
            f"code={code}",
            {"Content-Type": FORM, "X-CSRFToken": self.cookies["csrftoken"]},
        )

    def log_in(self, username, password):
        response, page = self.request("GET", "/admin/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urlencode(
            {"csrfmiddlewaretoken": token, "username": username, "password": password}
        )
        response, _ = self.request(
            "POST",
            "/admin/login/?next=/admin/",
            form,
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status == 302 and "sessionid" in self.cookies, "login failed"


def poll(fetch, condition, what):
    """``fetch()`` until ``condition(result)``; fail naming ``what`` after the deadline."""
    deadline = time.monotonic() + DEADLINE
    while True:
        result = fetch()
        if condition(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {DEADLINE}s: {result!r}")
        time.sleep(0.05)


def test_a_real_websocket_shows_on_the_dashboard_and_is_closed_from_it(demo_server):
    anonymous = Session(demo_server.url)
    response, _ = anonymous.request("GET", DASHBOARD + "connections/?format=json")
    assert response.status == 302
    assert response.headers["Location"].startswith("/admin/login/")

    staff = Session(demo_server.url)
    staff.log_in(demo_server.username, demo_server.password)
    with connect(demo_server.ws_url + "/ws/chat/e2e/", origin=demo_server.url) as socket:
        found = poll(
            lambda: staff.get_json(DASHBOARD + "connections/?path=/ws/chat/e2e/&format=json"),
            lambda data: data["total"] == 1 and data["connections"][0]["groups"],
            "the connection and its group on the dashboard",
        )
        [connection] = found["connections"]
        assert connection["consumer"] == "chat.consumers.ChatConsumer"
        assert connection["kwargs"] == {"room": "e2e"}
        assert connection["groups"] == ["chat_e2e"]
        assert connection["state"] == "accepted"

        groups = staff.get_json(DASHBOARD + "groups/?name=chat_e2e&format=json")
        assert groups["groups"][0]["members"][0]["connection"] == connection["id"]
        socket.send(json.dumps({"text": "hello"}))
        assert json.loads(socket.recv(timeout=DEADLINE))["text"] == "hello"
        detail = poll(
            lambda: staff.get_json(DASHBOARD + f"connections/{connection['id']}/?format=json"),
            lambda data: data["connection"]["messages_in"] == 1,
            "the message counted",
        )["connection"]
        assert [step["label"] for step in detail["trace"]] == ["ProtocolTypeRouter", "URLRouter"]
        assert dict(detail["headers"]).get("origin") == demo_server.url

        resolved = staff.get_json(DASHBOARD + "resolve/?path=/ws/chat/e2e/&format=json")
        assert resolved["consumer"] == "chat.consumers.ChatConsumer"

        close = DASHBOARD + f"connections/{connection['id']}/close/?format=json"
        response, _ = staff.request("POST", close, "code=4001", {"Content-Type": FORM})
        assert response.status == 403  # no CSRF token
        response, payload = staff.close_connection(connection["id"], 4001)
        assert response.status == 200, payload
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=DEADLINE)
        assert closed.value.rcvd.code == 4001

    ended = poll(
        lambda: staff.get_json(DASHBOARD + f"connections/{connection['id']}/?format=json"),
        lambda data: data["connection"]["state"] == "closed",
        "the connection recorded as closed",
    )["connection"]
    assert (ended["close_code"], ended["closed_by"]) == (4001, "admin")
