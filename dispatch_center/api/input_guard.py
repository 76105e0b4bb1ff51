"""Refuse a NUL character in a request's URL or form body before any route sees it.

PostgreSQL's text cannot hold a NUL (``%00``): a path segment, a query parameter or a
form field carrying one reached a query and made a 500 (``GET /api/v1/feeds/cap/a%00/b``,
a sign-in with ``username=a%00``). JSON bodies are checked by the request models
(``dispatch_center.models.Clean``), which name the exact field; what no model reads is
checked here, in one place, for every route: 422 naming the parameter under ``/api``,
Open311's own error list (400) under ``/open311``. A NUL in the path names no resource:
404 (naming ``path``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes
from xml.sax.saxutils import escape

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dispatch_center.api.errors import error_body
from dispatch_center.core.text import NUL_MESSAGE

FORM = b"application/x-www-form-urlencoded"


def nul_parameter(path: str, query: bytes, form: bytes | None = None) -> str | None:
    """The name of the first URL part or form field that holds a NUL, else None.

    Examples
    --------
    >>> nul_parameter("/api/v1/orders", b"q=a%00b&limit=5")
    'q'
    >>> nul_parameter("/api/v1/feeds/cap/a\\x00/b", b"")
    'path'
    >>> nul_parameter("/api/v1/auth/token", b"", b"username=adm%00in&password=x")
    'username'
    >>> nul_parameter("/api/v1/orders", b"q=ok") is None
    True
    """
    if "\x00" in path:
        return "path"
    for raw in (query, form or b""):
        if b"%00" not in raw and b"\x00" not in raw:
            continue
        for key, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
            # Decode as bytes: %00 is a NUL in any charset.
            if b"\x00" in unquote_to_bytes(key) or "\x00" in value or "\x00" in key:
                return key.replace("\x00", "") or "query"
        # parse_qsl already unquoted the pairs; a NUL in a malformed pair still counts.
        if b"\x00" in unquote_to_bytes(raw):
            return "query"
    return None


class NulGuard:
    """ASGI middleware: a NUL in the path, the query or a form body → 4xx naming it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the URL (and a form body, read here and handed on unchanged)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        bad = nul_parameter(path, scope.get("query_string", b""))
        headers = dict(scope.get("headers") or [])
        if bad is None and headers.get(b"content-type", b"").split(b";")[0].strip() == FORM:
            body, receive = await _read_body(receive)
            bad = nul_parameter("", b"", body)
        if bad is None:
            await self.app(scope, receive, send)
            return
        await _refuse(send, path, bad)


async def _read_body(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body, and a ``receive`` that hands it on as one message."""
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = bool(message.get("more_body"))
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _refuse(send: Send, path: str, field: str) -> None:
    status = 404 if field == "path" else 422
    code = "not_found" if status == 404 else "invalid"
    doc: Any = error_body(code, f"invalid input: {field}: {NUL_MESSAGE}", {field: NUL_MESSAGE})
    media = b"application/json"
    if path.startswith("/open311/"):
        # Open311 clients read the GeoReport error list, in the format they asked for.
        status, text = (404 if status == 404 else 400), f"{field}: {NUL_MESSAGE}"
        if path.endswith(".xml"):
            media = b"text/xml; charset=utf-8"
            body = (
                "<?xml version='1.0' encoding='utf-8'?><errors><error>"
                f"<code>{status}</code>"
                f"<description>{escape(text)}</description></error></errors>"
            ).encode()
        else:
            body = orjson.dumps([{"code": status, "description": text}])
    else:
        body = orjson.dumps(doc)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", media), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
