"""The memory registry: filters, order, pages, counts, and records readers cannot corrupt."""

import json

import pytest

from channels_admin.conf import app_settings
from channels_admin.recorder.records import Decision, Record
from channels_admin.registry.memory import MemoryRegistry


def record(path, consumer="app.C", groups=(), state="accepted", type="websocket", **fields):
    scope = {"type": type, "path": path, "headers": [], "query_string": b""}
    made = Record(scope, app_settings())
    fields.update(consumer=consumer, groups=tuple(groups), state=state)
    for name, value in fields.items():
        setattr(made, name, value)
    return made


@pytest.fixture
async def filled():
    registry = MemoryRegistry()
    for number in range(250):
        made = record(
            f"/ws/chat/{number}/",
            consumer="chat.Chat" if number % 2 else "chat.Number",
            groups=[f"g{number % 5}"],
            messages_in=number,
            channel_name=f"specific.{number}",
        )
        await registry.opened(made)
        await registry.changed(made)
    return registry


async def test_filters_pages_and_total(filled):
    page = await filled.connections(consumer="Chat", group="g1")
    assert page["total"] == 25
    assert all(c["consumer"] == "chat.Chat" and "g1" in c["groups"] for c in page["connections"])
    assert (await filled.connections(path="/ws/chat/12"))["total"] == 11  # 12, 120-129
    everything = await filled.connections(limit=100, offset=200)
    assert everything["total"] == 250 and len(everything["connections"]) == 50
    assert everything["connections"][0]["path"] == "/ws/chat/49/"  # newest first
    json.dumps(everything)


async def test_order_by_a_field_and_refuse_unknown_fields(filled):
    busiest = (await filled.connections(order="-messages_in", limit=2))["connections"]
    assert [c["messages_in"] for c in busiest] == [249, 248]
    oldest = (await filled.connections(order="started", limit=1))["connections"][0]
    assert oldest["path"] == "/ws/chat/0/"
    with pytest.raises(ValueError, match="Cannot order connections by 'headers'"):
        await filled.connections(order="headers")


async def test_summary_and_channel_mapping(filled):
    summary = await filled.summary()
    assert summary["live"] == 250 and summary["by_type"] == {"websocket": 250}
    assert summary["by_consumer"] == {"chat.Chat": 125, "chat.Number": 125}
    ids = await filled.connection_ids(["specific.3", "specific.unknown"])
    assert list(ids) == ["specific.3"]
    assert (await filled.get(ids["specific.3"]))["path"] == "/ws/chat/3/"


async def test_readers_get_snapshots(filled):
    first = (await filled.connections(limit=1))["connections"][0]
    first["groups"].append("tampered")
    first["state"] = "tampered"
    again = await filled.get(first["id"])
    assert "tampered" not in again["groups"] and again["state"] == "accepted"


async def test_closed_moves_and_channel_mapping_goes():
    registry = MemoryRegistry(max_closed=2)
    made = record("/a/", channel_name="specific.a")
    await registry.opened(made)
    await registry.changed(made)
    made.state = "closed"
    await registry.closed(made)
    assert (await registry.connections())["total"] == 0
    assert await registry.connection_ids(["specific.a"]) == {}
    assert (await registry.get(made.id))["state"] == "closed"


async def test_decisions_filter_newest_first():
    registry = MemoryRegistry(max_decisions=10)
    for number, outcome in enumerate(["hit", "miss", "error", "miss"]):
        made = record(f"/p{number}/", outcome=outcome)
        await registry.decided(Decision(made))
    misses = await registry.decisions(outcome="miss")
    assert [d["path"] for d in misses["decisions"]] == ["/p3/", "/p1/"] and misses["total"] == 2
    page = await registry.decisions(offset=1, limit=1)
    assert [d["path"] for d in page["decisions"]] == ["/p2/"] and page["total"] == 4
    both = await registry.decisions(outcome=["miss", "hit"])
    assert both["total"] == 3
    await registry.clear()
    assert await registry.decisions() == {"total": 0, "decisions": []}
