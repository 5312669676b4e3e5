"""Permissions: a refused connect closes with 4403; a refused action replies 403."""

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser, User
from django.urls import path

from channels_admin.actions import AsyncAPIActionHandler, AsyncAPIConsumer, async_action
from channels_admin.actions.permissions import AllowAny, BasePermission, IsAuthenticatedStrictly
from tests.test_actions import call, open_socket

pytestmark = pytest.mark.django_db(transaction=True)


def as_user(app, user):
    """The app with ``scope["user"]`` set, as AuthMiddlewareStack would."""

    async def with_user(scope, receive, send):
        return await app(dict(scope, user=user), receive, send)

    return with_user


class ReadOnly(BasePermission):
    """Plain (sync) methods: they run in a worker thread, so they may query the database."""

    def has_permission(self, scope, handler, action, **kwargs):
        return action == "list" or User.objects.filter(username="admin").exists()


class Notes(AsyncAPIActionHandler):
    permission_classes = (ReadOnly,)

    @async_action
    async def list(self):
        return ["note"], 200

    @async_action
    async def create(self, text):
        return text, 201


class Open(AsyncAPIActionHandler):
    permission_classes = (AllowAny,)

    @async_action
    async def list(self):
        return ["open"], 200


class MembersOnly(AsyncAPIConsumer):
    permission_classes = (IsAuthenticatedStrictly,)
    routepatterns = [path("open/", Open.as_aaah())]

    @async_action
    async def whoami(self):
        return self.scope["user"].username, 200


class Public(AsyncAPIConsumer):
    routepatterns = [path("notes/", Notes.as_aaah()), path("open/", Open.as_aaah())]


async def test_a_refused_connect_is_closed_with_4403():
    communicator = WebsocketCommunicator(as_user(MembersOnly.as_asgi(), AnonymousUser()), "/")
    connected, _ = await communicator.connect()
    assert connected  # accepted, then closed, so that browsers see the code
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 4403}
    await communicator.disconnect()


async def test_no_user_in_scope_counts_as_anonymous():
    communicator = WebsocketCommunicator(MembersOnly.as_asgi(), "/")
    await communicator.connect()
    assert (await communicator.receive_output())["code"] == 4403
    await communicator.disconnect()


async def test_an_authenticated_user_connects_and_acts():
    app = as_user(MembersOnly.as_asgi(), User(username="ann"))
    async with open_socket(app) as ws:
        assert (await call(ws, action="whoami"))["data"] == "ann"
        assert (await call(ws, action="list", route="open/"))["data"] == ["open"]


class ConnectOnly(BasePermission):
    """Refuses connections but (wrongly) allows every action."""

    async def can_connect(self, scope, consumer, message):
        return False


class Leaky(AsyncAPIConsumer):
    permission_classes = (ConnectOnly,)
    ran = []

    @async_action
    async def steal(self):
        self.ran.append("steal")
        return "stolen", 200


async def test_frames_racing_the_close_of_a_refused_connection_are_ignored():
    communicator = WebsocketCommunicator(Leaky.as_asgi(), "/")
    await communicator.connect()
    assert (await communicator.receive_output())["code"] == 4403
    await communicator.send_json_to({"action": "steal"})
    await communicator.send_input({"type": "websocket.disconnect", "code": 4403})
    await communicator.wait()
    assert Leaky.ran == []
    assert communicator.output_queue.empty()


async def test_a_refused_action_replies_403_and_the_connection_goes_on():
    async with open_socket(Public.as_asgi()) as ws:
        refused = await call(ws, action="create", route="notes/", text="hi", request_id=1)
        allowed = await call(ws, action="list", route="notes/")
    assert refused == {
        "errors": ["You do not have permission to perform this action."],
        "data": None,
        "action": "create",
        "route": "notes/",
        "status": 403,
        "request_id": 1,
    }
    assert allowed["data"] == ["note"]


async def test_a_sync_permission_may_query_the_database():
    await User.objects.acreate(username="admin")
    async with open_socket(Public.as_asgi()) as ws:
        assert (await call(ws, action="create", route="notes/", text="hi"))["status"] == 201


class NoWriting(BasePermission):
    async def has_permission(self, scope, handler, action, **kwargs):
        return action != "create"


class GuardedConsumer(AsyncAPIConsumer):
    permission_classes = (NoWriting,)
    routepatterns = [path("notes/", Notes.as_aaah())]


async def test_consumer_permissions_guard_routed_actions_before_the_handlers_own():
    await User.objects.acreate(username="admin")  # Notes' own permission would allow it
    async with open_socket(GuardedConsumer.as_asgi()) as ws:
        assert (await call(ws, action="create", route="notes/", text="x"))["status"] == 403
        assert (await call(ws, action="list", route="notes/"))["status"] == 200


class SeesPayload(BasePermission):
    async def has_permission(self, scope, handler, action, **kwargs):
        return kwargs.get("token") == "ok"


class PayloadGuarded(AsyncAPIConsumer):
    permission_classes = (SeesPayload,)

    @async_action
    async def act(self, **payload):
        return sorted(payload), 200


async def test_has_permission_gets_the_payload_and_payload_keys_cannot_clash():
    async with open_socket(PayloadGuarded.as_asgi()) as ws:
        assert (await call(ws, action="act", token="no"))["status"] == 403
        # "scope" in the payload must not collide with has_permission's own argument.
        reply = await call(ws, action="act", token="ok", scope="x", handler="y")
    assert reply["status"] == 200
    assert reply["data"] == ["handler", "scope", "token"]
