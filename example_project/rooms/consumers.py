from django.urls import path

from channels_admin.actions import AsyncAPIConsumer, async_action, include


class ApiConsumer(AsyncAPIConsumer):
    """``ws/api/``: the demo's JSON action API; ``v1/`` routes come from ``rooms.actions``."""

    routepatterns = [path("v1/", include("rooms.actions"))]

    @async_action
    async def ping(self):
        return {"pong": True}, 200
