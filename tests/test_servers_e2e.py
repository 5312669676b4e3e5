"""End to end under every ASGI server we support besides daphne (tested throughout): the demo
on a real uvicorn and a real hypercorn, a real `websockets` client, the dashboard's JSON read
with a logged-in session. A socket is recorded with its consumer, a refusal is recorded as a
miss, and a close from the dashboard reaches the client."""

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.conftest import DemoServer, demo_environment
from tests.test_dashboard_e2e import DASHBOARD, DEADLINE, Session, poll


@pytest.fixture(params=["uvicorn", "hypercorn"])
def served(request, tmp_path):
    """The demo on ``server``, with its own SQLite file and a superuser ``staff``."""
    env = demo_environment(tmp_path / "demo.sqlite3", f"{request.param}-tests")
    server = DemoServer(tmp_path, env, server=request.param)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def test_recorder_and_close_under_the_server(served):
    staff = Session(served.url)
    staff.log_in(served.username, served.password)

    with pytest.raises(InvalidStatus):  # routing fails before the handshake is accepted
        with connect(served.ws_url + "/ws/nowhere/", origin=served.url, open_timeout=DEADLINE):
            pass
    decisions = poll(
        lambda: staff.get_json(DASHBOARD + "decisions/?outcome=miss&format=json"),
        lambda data: data["total"] >= 1,
        "the refusal recorded as a miss",
    )["decisions"]
    assert decisions[0]["path"] == "/ws/nowhere/"

    with connect(served.ws_url + "/ws/chat/servers/", origin=served.url) as socket:
        [connection] = poll(
            lambda: staff.get_json(DASHBOARD + "connections/?path=/ws/chat/servers/&format=json"),
            lambda data: data["total"] == 1 and data["connections"][0]["groups"],
            "the connection and its group on the dashboard",
        )["connections"]
        assert connection["consumer"] == "chat.consumers.ChatConsumer"
        assert connection["kwargs"] == {"room": "servers"}
        assert connection["state"] == "accepted"

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
