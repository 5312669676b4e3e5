"""The demo's Channels 1 chat routes only room names a channel-layer group can hold."""

import pytest
from channels.testing import WebsocketCommunicator

from channels_admin.routing import MessageRouter


@pytest.mark.parametrize("room", ["x" * 51, "caf\u00e9"])
async def test_room_names_no_group_can_hold_are_not_routed(room):
    """A group name is ASCII and under 100 characters: a room that could not be one is a
    miss (close code 4404), not a consumer failing halfway through its connect."""
    app = MessageRouter("legacy.routing.channel_routing")
    communicator = WebsocketCommunicator(app, f"/ws/legacy/chat/{room}/")
    connected, code = await communicator.connect()
    assert (connected, code) == (False, 4404)
