"""ASGI middleware: refuse oversized request bodies before they are read into memory."""

from __future__ import annotations

import json
from collections.abc import Iterable
from re import Pattern

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Key of a route's `openapi_extra` marking it as taking a large file (an 835), which it streams to disk
# rather than reading into memory: such a body may be up to `Settings.max_file_bytes`. It shows in the
# OpenAPI document too, so API clients know the route's own limit.
LARGE_FILE = "x-openmso-large-file"


class BodySizeLimit:
    """413 problem+json for a body over `max_bytes` (`file_bytes` on the routes marked `LARGE_FILE`),
    whether announced by Content-Length or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int, file_bytes: int = 0, routes: Iterable[BaseRoute] = ()):
        self.app = app
        self.max_bytes = max_bytes
        self.file_bytes = max(file_bytes, max_bytes)
        self.file_paths: list[Pattern] = [route.path_regex for route in routes
                                          if LARGE_FILE in (getattr(route, "openapi_extra", None) or {})]

    def limit_for(self, scope: Scope) -> int:
        if scope["method"] == "POST" and any(path.match(scope["path"]) for path in self.file_paths):
            return self.file_bytes
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await self._too_large(scope, send, limit)
            return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not response_started:
                await self._too_large(scope, send, limit)

    @staticmethod
    async def _too_large(scope: Scope, send: Send, limit: int) -> None:
        body = json.dumps({
            "type": "https://openmso.org/problems/too-large", "title": "Request body too large", "status": 413,
            "detail": f"The request body exceeds the limit of {limit} bytes", "instance": scope["path"],
        }).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/problem+json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass
