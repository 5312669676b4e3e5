"""The demo's action API, included by ``ApiConsumer`` under ``v1/``.

``{"action": "create", "route": "v1/rooms/", "name": "lobby"}`` opens a room;
``rooms/<pk>/messages/`` lists, posts (broadcast to the room's subscribers) and subscribes.
"""

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.urls import path

from channels_admin.actions import AsyncAPIActionHandler, async_action
from rooms.models import Message, Room

MAX_TEXT = 2000
MAX_LIMIT = 200


def room_data(room):
    return {"id": room.pk, "name": room.name}


def message_data(message):
    return {
        "id": message.pk,
        "room": message.room_id,
        "author": message.author,
        "text": message.text,
        "created": message.created,
    }


def author_of(scope):
    user = scope.get("user")
    return user.username if user is not None and user.is_authenticated else "anonymous"


class RoomsHandler(AsyncAPIActionHandler):
    """``rooms/``: list the rooms, or open one by name (created on first use)."""

    @async_action
    def list(self):
        return [room_data(room) for room in Room.objects.order_by("name")[:MAX_LIMIT]], 200

    @async_action
    def create(self, name):
        if not isinstance(name, str) or len(name) > 50:
            raise ValidationError("name must be a string of at most 50 characters.")
        validate_slug(name)
        room, created = Room.objects.get_or_create(name=name)
        return room_data(room), 201 if created else 200


class MessagesHandler(AsyncAPIActionHandler):
    """``rooms/<pk>/messages/``: the messages of one room; new ones go to its subscribers."""

    group_send_lookup_kwargs = "pk"

    def get_group_name(self):
        return f"rooms.{super().get_group_name()}"

    @async_action
    def list(self, limit=50):
        if not isinstance(limit, int) or not 0 < limit <= MAX_LIMIT:
            raise ValidationError(f"limit must be a whole number from 1 to {MAX_LIMIT}.")
        room = Room.objects.get(pk=self.kwargs["pk"])
        latest = room.messages.order_by("-pk")[:limit]
        return [message_data(message) for message in reversed(latest)], 200

    @async_action(mode="broadcast")
    def create(self, text):
        text = text.strip() if isinstance(text, str) else ""
        if not text or len(text) > MAX_TEXT:
            raise ValidationError(f"text must be 1 to {MAX_TEXT} characters.")
        room = Room.objects.get(pk=self.kwargs["pk"])
        message = Message.objects.create(room=room, author=author_of(self.scope), text=text)
        return message_data(message), 201

    @async_action
    async def subscribe(self):
        room = await Room.objects.aget(pk=self.kwargs["pk"])
        await self.consumer.join_group(self.get_group_name())
        return room_data(room), 200

    @async_action
    async def unsubscribe(self):
        await self.consumer.leave_group(self.get_group_name())
        return None, 200


routepatterns = [
    path("rooms/", RoomsHandler.as_aaah()),
    path("rooms/<int:pk>/messages/", MessagesHandler.as_aaah()),
]
