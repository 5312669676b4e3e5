"""Leaf applications that remember the scope they were handed."""


class Leaf:
    """An ASGI app that records the scope it was called with instead of serving it."""

    def __init__(self, name):
        self.name = name
        self.__name__ = name

    async def __call__(self, scope, receive, send):
        scope["reached"] = self.name
        raise Reached(self.name, scope)


class Reached(Exception):
    def __init__(self, name, scope):
        super().__init__(name)
        self.name = name
        self.scope = scope


async def route(app, scope):
    """Dispatch ``scope`` through ``app``; return ``(leaf name, scope it received)``."""

    async def receive():
        raise AssertionError("leaf apps never receive")

    async def send(message):
        raise AssertionError("leaf apps never send")

    try:
        await app(scope, receive, send)
    except Reached as reached:
        return reached.name, reached.scope
    raise AssertionError("no leaf was reached")
