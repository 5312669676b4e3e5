"""Serving a channel the way Channels' ``runworker`` does, one message at a time."""

from channels.testing import ApplicationCommunicator


async def serve_one(app, layer, channel):
    """Hand the next message on ``channel`` to ``app`` in a ``channel`` scope.

    ``runworker`` refuses messages without a type, so this checks they have one.
    Stop the returned communicator when done.
    """
    message = await layer.receive(channel)
    assert message["type"] == channel
    worker = ApplicationCommunicator(app, {"type": "channel", "channel": channel})
    await worker.send_input(message)
    return worker
