"""How Vigil is served: gunicorn's asyncio worker (`-k config.serving.Worker`, config/gunicorn_conf.py) and an
ASGI guard in front of Django.

Slow clients cannot starve it: reading a request never occupies a thread (Django runs a view in a thread only
once the whole body has arrived), the first request's headers must arrive within `VIGIL_HEADER_TIMEOUT`
seconds (gunicorn's own keep-alive timer covers the following requests), and the body within
`VIGIL_BODY_TIMEOUT` seconds in all (408), at most the path's body limit (413, counted while reading, so a
chunked body is limited too). The decisions are in docs/deployment.md."""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from gunicorn.asgi import protocol as gunicorn_protocol
from gunicorn.workers import gasgi

from .middleware import body_limit_for

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def _json_error(
    send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]]
) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def _too_large(send: Send, limit: int) -> None:
    await _json_error(
        send,
        413,
        {
            "code": "payload_too_large",
            "detail": _("The request body is larger than %(limit)d bytes.") % {"limit": limit},
            "limit_bytes": limit,
        },
        [],
    )


class RequestBodyGuard:
    """Reads the request body before the application runs: within `VIGIL_BODY_TIMEOUT` seconds in all (a
    client trickling a byte at a time is answered 408 and closed), and at most the path's body limit (413).
    The application then receives the body it would have read, in one message."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Every method: Django's ASGI handler reads a body, if one is sent, before any view, even for a GET.
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit_for(scope.get("path", ""))
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)  # said up front: nothing is read
            return
        deadline = time.monotonic() + settings.VIGIL_BODY_TIMEOUT
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise TimeoutError
                message = await asyncio.wait_for(receive(), remaining)
            except TimeoutError:
                await _json_error(
                    send,
                    408,
                    {
                        "code": "request_timeout",
                        "detail": _("The request body did not arrive within %(seconds)d seconds.")
                        % {"seconds": settings.VIGIL_BODY_TIMEOUT},
                    },
                    [],
                )
                return
            if message["type"] == "http.disconnect":
                return  # the client went away: nobody to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(send, limit)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        # The body is complete: Django and DRF see it as if it had come with a Content-Length (DRF reads
        # nothing from a request without one), whether it was sent chunked or not.
        scope = dict(scope)
        scope["headers"] = [
            (name, value)
            for name, value in scope.get("headers", [])
            if name.lower() not in (b"content-length", b"transfer-encoding")
        ] + [(b"content-length", str(len(body)).encode())]
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: only a disconnect can come

        await self.app(scope, replay, send)


class _Protocol(gunicorn_protocol.ASGIProtocol):
    """gunicorn's protocol with a deadline on the first request's headers: without it, a connection that never
    finishes its headers stays open for ever (later requests are bounded by gunicorn's keep-alive timer, whose
    handle this deadline borrows, so the same code cancels it once the headers are in)."""

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        if getattr(self, "_keepalive_handle", None) is None and not self._closed:
            self._keepalive_handle = self.worker.loop.call_later(
                float(settings.VIGIL_HEADER_TIMEOUT), self._keepalive_timeout
            )


class Worker(gasgi.ASGIWorker):
    """gunicorn's asyncio ASGI worker, serving with `_Protocol`."""

    def init_process(self) -> None:
        # The worker builds its protocol by this module-level name; this process serves only with ours.
        gasgi.ASGIProtocol = _Protocol
        super().init_process()
