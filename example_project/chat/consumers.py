from channels.generic.websocket import AsyncJsonWebsocketConsumer, WebsocketConsumer


class ChatConsumer(AsyncJsonWebsocketConsumer):
    """A chat room: everything one member sends, every member of the room receives."""

    max_room_length = 50  # the group name must stay under 100 characters
    group = None

    async def connect(self):
        self.room = self.scope["url_route"]["kwargs"]["room"]
        if len(self.room) > self.max_room_length:
            await self.close()
            return
        self.group = f"chat_{self.room}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content):
        text = str(content.get("text", ""))[:2000]
        user = self.scope.get("user")
        author = user.username if user is not None and user.is_authenticated else "anonymous"
        await self.channel_layer.group_send(
            self.group, {"type": "chat.message", "text": text, "author": author}
        )

    async def chat_message(self, event):
        await self.send_json({"text": event["text"], "author": event["author"]})


class NumberConsumer(WebsocketConsumer):
    """Reached through a URLRouter nested under middleware: says what it was routed with."""

    def connect(self):
        self.accept()
        kwargs = self.scope["url_route"]["kwargs"]
        self.send(text_data=f"number={kwargs['number']} page={kwargs['page']}")

    def receive(self, text_data=None, bytes_data=None):
        self.send(text_data=text_data, bytes_data=bytes_data)
