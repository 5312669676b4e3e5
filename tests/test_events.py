"""A connection's recent frames (RECORD_EVENTS): order, bound, preview, redaction, who sees."""

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.test import override_settings

from channels_admin.models import Connection
from channels_admin.recorder.events import text_preview
from tests import dashboard_support
from tests.dashboard_support import DASHBOARD, client_for, make_user

registry = dashboard_support.registry
sockets = dashboard_support.sockets
staff = dashboard_support.staff
admin = dashboard_support.admin

pytestmark = pytest.mark.django_db(transaction=True)

LOG = {"RECORD_EVENTS": True, "MAX_EVENTS": 5, "EVENT_PREVIEW": 40}


@pytest.fixture
def frames_log():
    with override_settings(CHANNELS_ADMIN=LOG):
        yield


async def connection_json(client, id):
    response = await client.get(DASHBOARD + "connections/%s/?format=json" % id)
    assert response.status_code == 200
    return response.json()["connection"]


async def chat(communicator, text, **extra):
    await communicator.send_json_to({"text": text, **extra})
    return await communicator.receive_json_from()


async def test_the_log_keeps_the_last_frames_in_order(frames_log, admin, sockets):
    communicator, id = await sockets.connect("/ws/chat/lobby/")
    for n in range(4):
        await chat(communicator, "message %d" % n)
    events = (await connection_json(admin, id))["events"]
    # Each message: in from the client, the group message back to its consumer, out to it.
    assert len(events) == 5  # MAX_EVENTS
    assert [e["direction"] for e in events] == ["group", "out", "in", "group", "out"]
    times = [e["time"] for e in events]
    assert times == sorted(times)
    last_in = [e for e in events if e["direction"] == "in"][-1]
    assert last_in == {
        "time": last_in["time"],
        "direction": "in",
        "type": "websocket.receive",
        "size": len('{"text": "message 3"}'),
        "preview": '{"text": "message 3"}',
    }
    group = [e for e in events if e["direction"] == "group"][-1]
    assert group["type"] == "chat.message"
    assert group["preview"] == '{"type": "chat.message", "text": "messag'  # 40 characters
    assert events[-1]["direction"] == "out"


async def test_previews_are_cut_and_secret_json_values_redacted(frames_log, admin, sockets):
    communicator, id = await sockets.connect("/ws/chat/lobby/")
    await chat(communicator, "x" * 100)
    long_in = (await connection_json(admin, id))["events"][0]
    assert len(long_in["preview"]) == 40  # EVENT_PREVIEW
    assert long_in["size"] == len('{"text": "' + "x" * 100 + '"}')
    await chat(communicator, "hi", token="s3cr3t-value", nested={"password": "hunter2"})
    events = (await connection_json(admin, id))["events"]
    secret_in = [e for e in events if e["direction"] == "in"][-1]
    assert "s3cr3t" not in secret_in["preview"]
    assert '"token": "[redacted]"' in secret_in["preview"]
    settings = {**LOG, "EVENT_PREVIEW": 200, "_redact_query_keys": ("token", "password")}
    nested = text_preview('{"a": [{"password": "hunter2"}], "b": 1}', settings)
    assert nested == '{"a": [{"password": "[redacted]"}], "b": 1}'
    broken = text_preview('{"password": "hunter2", "cut', settings)
    assert "hunter2" not in broken


async def test_binary_frames_show_size_and_first_bytes_in_hex(frames_log, admin, sockets):
    communicator, id = await sockets.connect("/ws/number/42/page/3/")
    await communicator.receive_from()  # its greeting
    await communicator.send_to(bytes_data=bytes(range(100)))
    await communicator.receive_from()
    events = (await connection_json(admin, id))["events"]
    binary_in = next(e for e in events if e["direction"] == "in")
    assert binary_in["size"] == 100
    assert binary_in["preview"].startswith("100 bytes: 00 01 02")
    assert len(binary_in["preview"]) <= 40 + len("100 bytes: ")


async def test_only_holders_of_view_events_see_the_frames(frames_log, staff, admin, sockets):
    communicator, id = await sockets.connect("/ws/chat/lobby/")
    await chat(communicator, "private words")

    hidden = await connection_json(staff, id)
    assert hidden["events"] is None
    assert hidden["events_hidden"] is True
    assert hidden["events_count"] == 3
    page = (await staff.get(DASHBOARD + "connections/%s/" % id)).content.decode()
    assert "private words" not in page
    assert "channels_admin.view_events" in page
    listed = (await staff.get(DASHBOARD + "connections/?format=json")).json()
    assert "events" not in listed["connections"][0]

    reader = await client_for(await reader_with_view_events())
    shown = await connection_json(reader, id)
    assert shown["events_hidden"] is False
    assert "private words" in shown["events"][0]["preview"]
    page = (await reader.get(DASHBOARD + "connections/%s/" % id)).content.decode()
    assert "private words" in page
    assert 'id="events-table"' in page
    assert "private words" in (await connection_json(admin, id))["events"][0]["preview"]


async def test_hostile_frames_are_escaped(frames_log, admin, sockets):
    communicator, id = await sockets.connect("/ws/chat/lobby/")
    await chat(communicator, "<script>alert(1)</script>")
    page = (await admin.get(DASHBOARD + "connections/%s/" % id)).content.decode()
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)" in page


@pytest.fixture
def no_frames_log():
    with override_settings(CHANNELS_ADMIN={"RECORD_EVENTS": False}):
        yield


async def test_with_the_log_off_a_record_keeps_no_frames(no_frames_log, admin, sockets):
    communicator, id = await sockets.connect("/ws/chat/lobby/")
    await chat(communicator, "hello")
    assert sockets.registry.live[id].events is None
    data = await connection_json(admin, id)
    assert data["events"] is None and data["events_count"] is None
    page = (await admin.get(DASHBOARD + "connections/%s/" % id)).content.decode()
    assert "No frames log" in page


async def reader_with_view_events():
    """A staff user who may view connections and holds channels_admin.view_events."""

    def permission():
        content_type = ContentType.objects.get_for_model(Connection)
        found, _ = Permission.objects.get_or_create(
            codename="view_events",
            content_type=content_type,
            defaults={"name": "Can view the frames of a connection"},
        )
        return found

    await sync_to_async(permission)()
    return await make_user("reader", staff=True, permissions=["view_connection", "view_events"])
