"""Refusals and near misses through the Redis registry: what another worker's dashboard reads."""

import pytest
from channels.testing import WebsocketCommunicator

from channels_admin.registry import set_registry
from tests.test_redis_registry import eventually, make_registry  # noqa: F401
from tests.test_refusals import application

pytestmark = pytest.mark.redis


async def test_a_refusal_and_a_miss_reach_the_cluster_with_their_words(make_registry):  # noqa: F811
    registry, reader = make_registry("worker"), make_registry("dashboard")
    set_registry(registry)
    try:
        headers = [(b"origin", b"http://evil.example"), (b"host", b"testserver")]
        communicator = WebsocketCommunicator(application(), "/guarded/room/", headers=headers)
        assert not (await communicator.connect())[0]
        await communicator.send_input({"type": "websocket.disconnect", "code": 1006})
        await communicator.wait()
        miss = WebsocketCommunicator(application(), "/echo")
        await miss.send_input({"type": "websocket.connect"})
        with pytest.raises(ValueError):
            await miss.wait()
    finally:
        set_registry(None)
    problems = await eventually(
        lambda: reader.decisions(problems=True), lambda found: found["total"] == 2
    )
    miss, refused = problems["decisions"]
    assert refused["refused_by"] == "channels.security.websocket.OriginValidator"
    assert refused["refusal"].startswith("Refused by OriginValidator before the consumer ran")
    assert miss["outcome"] == "miss"
    assert miss["nearest"] == {"pattern": "echo/", "hint": "add a trailing slash: 'echo/'"}
    assert (await reader.summary())["outcomes"] == {"refused": 1, "miss": 1}
