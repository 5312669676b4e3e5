"""Fixtures for the dashboard tests: the demo's real application, live sockets, logged-in clients.

Connections are real: ``WebsocketCommunicator`` through the demo's ``RoutingRecorderMiddleware``
(origin check, auth, our routers, the demo's consumers) into a fresh memory registry, on the
in-memory channel layer. Pages are fetched with ``AsyncClient`` in the same event loop, so
the views see those connections live and can close them.
"""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from demo.asgi import application
from django.contrib.auth.models import Permission, User
from django.test import AsyncClient

from channels_admin.registry import set_registry
from channels_admin.registry.memory import MemoryRegistry

DASHBOARD = "/admin/channels-routing/"
HEADERS = [(b"origin", b"http://localhost"), (b"host", b"localhost")]


@pytest.fixture
async def registry():
    """A fresh memory registry and an empty channel layer for each test."""
    registry = MemoryRegistry()
    set_registry(registry)
    await get_channel_layer().flush()
    yield registry
    set_registry(None)


class Sockets:
    """WebSocket clients of the demo application, disconnected at the end of the test."""

    def __init__(self, registry):
        self.registry = registry
        self.open = []
        self.seen = set()

    async def connect(self, path):
        """Open ``path``; returns ``(communicator, connection id)``."""
        communicator = WebsocketCommunicator(application, path, headers=HEADERS)
        connected, _ = await communicator.connect()
        assert connected, path
        self.open.append(communicator)
        record = next(
            record
            for record in self.registry.live.values()
            if record.path == path and record.id not in self.seen
        )
        self.seen.add(record.id)
        return communicator, record.id

    async def refused(self, path):
        """Open ``path`` where routing fails (the application raises). Waits for the app's
        task itself: ``connect()`` would only raise its error after its 1 s timeout."""
        communicator = WebsocketCommunicator(application, path, headers=HEADERS)
        await communicator.send_input({"type": "websocket.connect"})
        with pytest.raises(ValueError):
            await asyncio.wait_for(communicator.future, timeout=5)

    async def close_all(self):
        for communicator in self.open:
            await communicator.disconnect()
        self.open.clear()


@pytest.fixture
async def sockets(registry):
    sockets = Sockets(registry)
    yield sockets
    await sockets.close_all()


async def make_user(username, *, staff=False, superuser=False, permissions=()):
    def create():
        user = User.objects.create_user(username, password="secret-for-tests")
        user.is_staff = staff or superuser
        user.is_superuser = superuser
        user.save()
        for codename in permissions:
            user.user_permissions.add(Permission.objects.get(codename=codename))
        return user

    return await sync_to_async(create)()


async def client_for(user, **kwargs):
    client = AsyncClient(**kwargs)
    if user is not None:
        await client.aforce_login(user)
    return client


@pytest.fixture
async def staff(transactional_db):
    """A client logged in as a staff member who may view live connections, and nothing more."""
    return await client_for(
        await make_user("staffer", staff=True, permissions=["view_connection"])
    )


@pytest.fixture
async def admin(transactional_db):
    """A client logged in as a superuser."""
    return await client_for(await make_user("boss", superuser=True))
