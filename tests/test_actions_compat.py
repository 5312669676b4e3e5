"""rest_framework_channels' behaviours a port relies on: IsAuthenticated lets the socket
connect and answers each action 403, IsAuthenticatedStrictly refuses the connection,
permissions compose with ``&``, ``|``, ``~``, broadcast events carry exactly ``type``,
``data`` and ``status``, and an exception handler decides the error replies."""

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser, User
from django.core.checks import run_checks
from django.test import override_settings
from django.urls import path

from channels_admin.actions import (
    ActionError,
    AsyncAPIActionHandler,
    AsyncAPIConsumer,
    async_action,
)
from channels_admin.actions.permissions import (
    AllowAny,
    BasePermission,
    IsAuthenticated,
    IsAuthenticatedStrictly,
)
from tests.test_actions import call, open_socket, routed
from tests.test_actions_permissions import as_user

pytestmark = pytest.mark.django_db(transaction=True)

ANN = User(username="ann")
REFUSED = "You do not have permission to perform this action."


class Notes(AsyncAPIActionHandler):
    @async_action
    async def list(self):
        return ["note"], 200


class Members(AsyncAPIConsumer):
    permission_classes = (IsAuthenticated,)
    routepatterns = [path("notes/", Notes.as_aaah())]

    @async_action
    async def whoami(self):
        return self.scope["user"].username, 200


class StrictMembers(Members):
    permission_classes = (IsAuthenticatedStrictly,)


async def test_is_authenticated_lets_anyone_connect_and_answers_each_action_403():
    async with open_socket(as_user(Members.as_asgi(), AnonymousUser())) as ws:
        own = await call(ws, action="whoami", request_id=1)
        routed_ = await call(ws, action="list", route="notes/")
    assert own == {
        "errors": [REFUSED],
        "data": None,
        "action": "whoami",
        "route": None,
        "status": 403,
        "request_id": 1,
    }
    assert routed_["status"] == 403
    assert routed_["route"] == "notes/"


async def test_is_authenticated_lets_a_user_act():
    async with open_socket(as_user(Members.as_asgi(), ANN)) as ws:
        assert (await call(ws, action="whoami"))["data"] == "ann"
        assert (await call(ws, action="list", route="notes/"))["data"] == ["note"]


@pytest.mark.parametrize("user", [AnonymousUser(), None])
async def test_is_authenticated_strictly_closes_an_anonymous_connection_with_4403(user):
    app = StrictMembers.as_asgi() if user is None else as_user(StrictMembers.as_asgi(), user)
    communicator = WebsocketCommunicator(app, "/")
    assert (await communicator.connect())[0]
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 4403}
    await communicator.disconnect()


async def test_is_authenticated_strictly_lets_a_user_connect_and_act():
    async with open_socket(as_user(StrictMembers.as_asgi(), ANN)) as ws:
        assert (await call(ws, action="whoami"))["data"] == "ann"


class ListOnly(BasePermission):
    """Sync, so it runs in a worker thread inside the composition."""

    def has_permission(self, scope, handler, action, **kwargs):
        return action == "list"


class NoConnect(BasePermission):
    async def can_connect(self, scope, consumer, message):
        return False


class Shelf(AsyncAPIConsumer):
    @async_action
    async def list(self):
        return ["book"], 200

    @async_action
    async def create(self):
        return "made", 201


def shelf(permission, user=None):
    consumer = type("ComposedShelf", (Shelf,), {"permission_classes": (permission,)})
    return as_user(consumer.as_asgi(), user or AnonymousUser())


async def statuses(app):
    async with open_socket(app) as ws:
        return [(await call(ws, action=action))["status"] for action in ("list", "create")]


@pytest.mark.parametrize(
    ("permission", "user", "expected"),
    [
        (IsAuthenticated | ListOnly, None, [200, 403]),
        (IsAuthenticated | ListOnly, ANN, [200, 201]),
        (IsAuthenticated & ListOnly, ANN, [200, 403]),
        (IsAuthenticated & ListOnly, None, [403, 403]),
        (~IsAuthenticated, None, [200, 201]),
        (~IsAuthenticated, ANN, [403, 403]),
        (~ListOnly & AllowAny, None, [403, 201]),
        (AllowAny & ~(IsAuthenticated | ListOnly), None, [403, 201]),
        (IsAuthenticatedStrictly | AllowAny, None, [200, 201]),
    ],
)
async def test_permissions_compose_with_and_or_not(permission, user, expected):
    assert await statuses(shelf(permission, user)) == expected


@pytest.mark.parametrize(
    "permission",
    [IsAuthenticatedStrictly & AllowAny, AllowAny & NoConnect, NoConnect | NoConnect],
)
async def test_composed_connection_checks_refuse_with_4403(permission):
    communicator = WebsocketCommunicator(shelf(permission), "/")
    assert (await communicator.connect())[0]
    assert (await communicator.receive_output())["code"] == 4403
    await communicator.disconnect()


async def test_not_negates_the_action_check_only_and_lets_everyone_connect():
    async with open_socket(shelf(~NoConnect)) as ws:  # NoConnect allows every action
        assert (await call(ws, action="list"))["status"] == 403


class Shout(AsyncAPIActionHandler):
    @async_action(mode="broadcast")
    async def shout(self, text):
        return {"said": text}, 200


class Room(AsyncAPIConsumer):
    group_send_lookup_kwargs = "room"
    routepatterns = [path("shout/", Shout.as_aaah())]


class ReplyShapedRoom(Room):
    broadcast_as_reply = True


async def shout_in(consumer, room):
    """The event the group received and the frame a member got, for one shout."""
    layer = get_channel_layer()
    listener = await layer.new_channel()
    await layer.group_add(room, listener)
    async with (
        open_socket(routed(consumer, "ws/<slug:room>/"), f"/ws/{room}/") as alice,
        open_socket(routed(consumer, "ws/<slug:room>/"), f"/ws/{room}/") as bob,
    ):
        await call(alice, action="shout", route="shout/", text="hi", request_id=3)
        frame = await bob.receive_json_from()
    await layer.group_discard(room, listener)
    return await layer.receive(listener), frame


async def test_broadcast_events_carry_exactly_type_data_and_status():
    event, frame = await shout_in(Room, "plain")
    assert event == {"type": "general.broadcast", "data": {"said": "hi"}, "status": 200}
    assert frame == {"data": {"said": "hi"}, "status": 200}


async def test_broadcast_as_reply_adds_errors_action_and_route():
    event, frame = await shout_in(ReplyShapedRoom, "shaped")
    assert frame == {
        "errors": [],
        "data": {"said": "hi"},
        "action": "shout",
        "route": "shout/",
        "status": 200,
    }
    assert event == {"type": "general.broadcast", **frame}


class Fragile(AsyncAPIConsumer):
    @async_action
    async def crash(self):
        raise ZeroDivisionError("the action's bug")

    @async_action
    async def refuse(self):
        raise ActionError(409, "Already taken.")

    @async_action
    async def ok(self):
        return "fine", 200


async def test_by_default_a_crash_is_a_logged_500_and_the_socket_stays_open(caplog):
    async with open_socket(Fragile.as_asgi()) as ws:
        reply = await call(ws, action="crash", request_id="r1")
        assert (await call(ws, action="ok"))["data"] == "fine"
    assert reply == {
        "errors": ["Internal server error."],
        "data": None,
        "action": "crash",
        "route": None,
        "status": 500,
        "request_id": "r1",
    }
    assert "ZeroDivisionError: the action's bug" in caplog.text


seen = []


def teapot_handler(exc, context):
    """A sync handler: it runs in a worker thread."""
    seen.append((type(exc).__name__, context["action"], type(context["consumer"]).__name__))
    return {"status": 418, "errors": [f"{type(exc).__name__}: {exc}"], "data": "tea"}


async def async_handler(exc, context):
    return {"status": 599, "errors": ["async"]}


@override_settings(
    CHANNELS_ADMIN={"EXCEPTION_HANDLER": "tests.test_actions_compat.teapot_handler"}
)
async def test_the_exception_handler_setting_decides_every_error_reply():
    seen.clear()
    async with open_socket(Fragile.as_asgi()) as ws:
        crashed = await call(ws, action="crash", request_id=9)
        refused = await call(ws, action="refuse")
        unknown = await call(ws, action="nope")
    assert crashed == {
        "errors": ["ZeroDivisionError: the action's bug"],
        "data": "tea",
        "action": "crash",
        "route": None,
        "status": 418,
        "request_id": 9,
    }
    assert (refused["status"], unknown["status"]) == (418, 418)
    assert seen == [
        ("ZeroDivisionError", "crash", "Fragile"),
        ("ActionError", "refuse", "Fragile"),
        ("ActionError", "nope", "Fragile"),
    ]


class OwnHandler(Fragile):
    exception_handler = async_handler  # a plain function: not bound as a method


class OwnHandlerByPath(Fragile):
    exception_handler = "tests.test_actions_compat.async_handler"


@pytest.mark.parametrize("consumer", [OwnHandler, OwnHandlerByPath])
@override_settings(
    CHANNELS_ADMIN={"EXCEPTION_HANDLER": "tests.test_actions_compat.teapot_handler"}
)
async def test_a_consumers_exception_handler_overrides_the_setting(consumer):
    async with open_socket(consumer.as_asgi()) as ws:
        assert await call(ws, action="crash") == {
            "errors": ["async"],
            "data": None,
            "action": "crash",
            "route": None,
            "status": 599,
        }


DEBUG = {"EXCEPTION_HANDLER": "channels_admin.actions.exceptions.debug_exception_handler"}


@override_settings(CHANNELS_ADMIN=DEBUG)
async def test_the_debug_handler_re_raises_a_crash_into_the_test():
    communicator = WebsocketCommunicator(Fragile.as_asgi(), "/")
    assert (await communicator.connect())[0]
    await communicator.send_json_to({"action": "refuse"})
    assert (await communicator.receive_json_from())["status"] == 409  # 4xx stay replies
    await communicator.send_json_to({"action": "crash"})
    with pytest.raises(ZeroDivisionError, match="the action's bug"):
        await communicator.receive_output()


@pytest.mark.parametrize(
    "value",
    ["tests.test_actions_compat.no_such_handler", "nodots", "tests.test_actions_compat.seen"],
)
def test_an_exception_handler_that_is_not_an_importable_function_fails_the_checks(value):
    with override_settings(CHANNELS_ADMIN={"EXCEPTION_HANDLER": value}):
        errors = [error for error in run_checks() if error.id.startswith("channels_admin")]
    assert [error.id for error in errors] == ["channels_admin.E003"]
    assert "EXCEPTION_HANDLER" in errors[0].msg


def test_the_default_exception_handler_setting_passes_the_checks():
    assert not [error for error in run_checks() if error.id.startswith("channels_admin")]


class Named(AsyncAPIConsumer):
    @async_action
    async def act(self, action, **payload):
        return [action, payload], 200

    @async_action
    async def plain(self, **payload):
        return [self.action, payload], 200


async def test_an_action_that_names_an_action_parameter_gets_the_actions_name():
    async with open_socket(Named.as_asgi()) as ws:
        assert (await call(ws, action="act", x=1))["data"] == ["act", {"x": 1}]
        assert (await call(ws, action="plain", x=1))["data"] == ["plain", {"x": 1}]
