"""The demo application plus one probe URL answering this process's registry as JSON.

Served by a real daphne in tests/test_recorder_e2e.py: the recorder's registry lives in the
server process, so the test asks the server (the dashboard will do the same).
"""

import json

from demo.asgi import application as demo

from channels_admin.registry import get_registry

PROBE_PATH = "/__recorder__/"


async def application(scope, receive, send):
    if scope["type"] != "http" or scope["path"] != PROBE_PATH:
        return await demo(scope, receive, send)
    await receive()
    registry = get_registry()
    body = {
        "live": await registry.connections(),
        "closed": await registry.connections(live=False),
        "decisions": (await registry.decisions())["decisions"],
    }
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})
