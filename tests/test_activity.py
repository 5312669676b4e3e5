"""Activity over time: the series count what a scripted client did, in the buckets it did it.

Real connections (``WebsocketCommunicator`` through the demo's recorder middleware and
routers), read back through the dashboard's JSON as a tool would.
"""

import asyncio
import json
import time

import pytest
from channels.testing import WebsocketCommunicator
from demo.asgi import application
from django.test import override_settings

from channels_admin.checks import check_settings
from channels_admin.recorder.activity import FIELDS, Activity
from tests import dashboard_support
from tests.dashboard_support import DASHBOARD, HEADERS

registry = dashboard_support.registry
sockets = dashboard_support.sockets
staff = dashboard_support.staff

pytestmark = pytest.mark.django_db(transaction=True)

BUCKET = 1  # second: the scripted steps below each fall in one or two buckets


@pytest.fixture
def one_second_buckets():
    """Fresh activity counters in one-second buckets over a minute."""
    with override_settings(CHANNELS_ADMIN={"ACTIVITY_BUCKET": BUCKET, "ACTIVITY_WINDOW": 60}):
        yield  # leaving the override resets the counters again


async def step(action, after=None):
    """Run ``action`` early in a bucket later than the ``after`` buckets; returns the bucket
    starts it spanned."""
    deadline = time.monotonic() + 5
    while time.time() % BUCKET > 0.5 * BUCKET or (after and time.time() < after[-1] + BUCKET):
        assert time.monotonic() < deadline
        await _tick()
    start = time.time()
    await action()
    end = time.time()
    return range(int(start // BUCKET) * BUCKET, int(end // BUCKET) * BUCKET + 1, BUCKET)


async def _tick():
    await asyncio.sleep(0.02)


def counted(series, buckets, field):
    return sum(point[field] for point in series if point["t"] in buckets)


async def get_activity(client, query=""):
    response = await client.get(DASHBOARD + "activity/?format=json" + query)
    assert response.status_code == 200
    return response.json()["activity"]


async def test_series_count_what_a_scripted_client_did_in_its_buckets(
    one_second_buckets, staff, sockets
):
    opened = {}

    async def connect_two():
        opened["a"], _ = await sockets.connect("/ws/chat/lobby/")
        opened["b"], _ = await sockets.connect("/ws/chat/lobby/")

    async def chat_three_times():
        for n in range(3):
            await opened["a"].send_json_to({"text": "hello %d" % n})
            for member in opened.values():  # both members get each message
                await member.receive_json_from()

    async def knock_where_nothing_routes():
        await sockets.refused("/ws/nowhere/")

    async def leave():
        await sockets.close_all()
        await _until(lambda: not registry_live(sockets))

    connecting = await step(connect_two)
    chatting = await step(chat_three_times, after=connecting)
    refusing = await step(knock_where_nothing_routes, after=chatting)
    leaving = await step(leave, after=refusing)

    data = await get_activity(staff)
    assert data["bucket"] == BUCKET
    series = data["series"]
    assert [point["t"] for point in series] == sorted(point["t"] for point in series)
    assert set(series[0]) == {"t", *FIELDS, "live"}
    sent = len(json.dumps({"text": "hello 0"}))
    expected = {
        "connects": [(connecting, 2), (refusing, 1)],
        "messages_in": [(chatting, 3)],
        "messages_out": [(chatting, 6)],
        "bytes_in": [(chatting, 3 * sent)],
        "refused": [(refusing, 1)],
        "misses": [(refusing, 1)],
        "disconnects": [(leaving, 2)],
    }
    for field, where in expected.items():
        for buckets, count in where:
            assert counted(series, buckets, field) == count, field
        assert sum(point[field] for point in series) == sum(count for _, count in where), field
    live = {point["t"]: point["live"] for point in series}
    assert live[chatting[-1]] == 2
    assert series[-1]["live"] == 0
    assert sum(point["errors"] for point in series) == 0

    # The same series on the overview; filtered by consumer, the miss is not the chat's.
    overview = (await staff.get(DASHBOARD + "?format=json")).json()
    assert sum(p["connects"] for p in overview["activity"]["series"]) == 3
    chat = await get_activity(staff, "&consumer=ChatConsumer")
    assert sum(p["connects"] for p in chat["series"]) == 2
    assert sum(p["misses"] for p in chat["series"]) == 0
    assert sum(p["messages_out"] for p in chat["series"]) == 6
    other = await get_activity(staff, "&consumer=NumberConsumer")
    assert sum(p["connects"] for p in other["series"]) == 0
    # The memory registry is one server: the server filter is accepted and narrows nothing.
    anywhere = await get_activity(staff, "&server=anything")
    assert sum(p["connects"] for p in anywhere["series"]) == 3


def registry_live(sockets):
    return sockets.registry.live


async def _until(condition, timeout=5):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await _tick()


def test_the_window_bounds_the_series_and_the_memory():
    start = 1_000_000
    activity = Activity(bucket=10, window=60, now=start)
    tally = activity.tally("app.Consumer")
    for second in range(start, start + 600, 5):  # ten minutes of traffic, one event in 5 s
        if second >= activity.edge:
            activity.roll(second)
        tally.connects += 1
        tally.messages_in += 2
    series = activity.series(now=start + 600)
    assert len(series) == 6  # 60 s of 10 s buckets
    assert len(activity.marks) <= 7
    assert [p["t"] for p in series] == list(range(start + 550, start + 610, 10))
    assert [p["connects"] for p in series[:-1]] == [2] * 5
    assert series[-1]["connects"] == 0  # the bucket under way: nothing yet
    assert series[-1]["live"] == 120


def test_quiet_buckets_are_zeros_with_the_live_count_carried():
    start = 2_000_000
    activity = Activity(bucket=10, window=100, now=start)
    tally = activity.tally("app.Consumer")
    tally.connects += 3
    activity.roll(start + 45)  # the next event, 45 s later
    tally.disconnects += 1
    series = activity.series(now=start + 51)
    by_t = {p["t"]: p for p in series}
    assert by_t[start]["connects"] == 3 and by_t[start]["live"] == 3
    for quiet in (start + 10, start + 20, start + 30):
        assert by_t[quiet]["connects"] == 0 and by_t[quiet]["live"] == 3
    assert by_t[start + 40]["disconnects"] == 1 and by_t[start + 40]["live"] == 2
    assert by_t[start + 50]["live"] == 2


async def test_the_activity_page_draws_charts_with_a_table(one_second_buckets, staff, sockets):
    await sockets.connect("/ws/chat/lobby/")
    response = await staff.get(DASHBOARD + "activity/?consumer=Chat")
    html = response.content.decode()
    assert response.status_code == 200
    for chart in ("live", "connections", "messages", "bytes"):
        assert 'id="chart-%s"' % chart in html
    assert "<polyline" in html
    assert 'id="activity-table"' in html
    assert 'value="Chat"' in html
    overview = (await staff.get(DASHBOARD)).content.decode()
    assert 'id="chart-live"' in overview


async def test_a_consumer_that_fails_after_accepting_counts_as_an_error(one_second_buckets, staff):
    communicator = WebsocketCommunicator(application, "/ws/chat/lobby/", headers=HEADERS)
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_to(text_data="not json")  # the JSON consumer raises on it
    with pytest.raises(ValueError):
        await asyncio.wait_for(communicator.future, timeout=5)
    data = await get_activity(staff)
    totals = {field: sum(p[field] for p in data["series"]) for field in FIELDS}
    assert totals["connects"] == 1 and totals["disconnects"] == 1
    assert totals["errors"] == 1 and totals["misses"] == 0
    assert data["series"][-1]["live"] == 0


@pytest.mark.parametrize(
    "key, value",
    [
        ("ACTIVITY_BUCKET", 0),
        ("ACTIVITY_WINDOW", "1h"),
        ("RECORD_EVENTS", 1),
        ("MAX_EVENTS", -5),
        ("EVENT_PREVIEW", 2.5),
        ("PROMETHEUS", "yes"),
    ],
)
def test_a_bad_activity_or_frames_setting_is_named_at_startup(key, value):
    with override_settings(CHANNELS_ADMIN={key: value}):
        errors = [(error.id, error.msg) for error in check_settings()]
    assert len(errors) == 1
    assert errors[0][0] == "channels_admin.E003"
    assert "CHANNELS_ADMIN[%r]" % key in errors[0][1]
