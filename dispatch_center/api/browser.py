"""What the center tells browsers: security headers on every response, the
Content-Security-Policy, and which ``Origin`` may open a WebSocket.

The policy allows scripts from this server only (``script-src 'self'``): every page keeps
its script in a static file and its data in ``<script type="application/json">`` blocks
or fetched JSON, so a link or a text that slipped markup into a page still cannot run.
Styles allow ``'unsafe-inline'``: Leaflet's markers and our own set per-item colours and
rotations in ``style`` attributes, Swagger UI does the same, and the minutes and reports
are standalone documents (saved, printed, mailed) with their style inside; a style cannot
run script, and markup injection is what autoescaping and the link checks stop.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import SplitResult, urlsplit

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dispatch_center.settings import Settings


def content_security_policy(tile_url: str | None = None) -> str:
    """The policy of every response; map tiles from ``DISPATCH_TILE_URL``'s origin, if set.

    Examples
    --------
    >>> csp = content_security_policy()
    >>> "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
    True
    >>> "img-src 'self' data: https://tiles.example;" in content_security_policy(
    ...     "https://tiles.example/{z}/{x}/{y}.png")
    True
    >>> "img-src 'self' data: http://*.tiles.internal:8080;" in content_security_policy(
    ...     "http://{s}.tiles.internal:8080/{z}/{x}/{y}.png")
    True
    """
    images = ["'self'", "data:"]
    if tile_url:
        # Leaflet fills a leading {s} with a subdomain: any subdomain of that host then.
        parts = urlsplit(tile_url.replace("{s}.", "*.", 1))
        if parts.scheme in ("http", "https") and parts.netloc and "{" not in parts.netloc:
            images.append(f"{parts.scheme}://{parts.netloc}")
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            f"img-src {' '.join(images)}",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def security_headers(tile_url: str | None = None) -> list[tuple[bytes, bytes]]:
    """The headers every response carries.

    ``Referrer-Policy: no-referrer``: the pages link out only to the city's video rooms and
    recordings, which have no business learning which page (and which session or order id)
    a person came from; nothing of ours depends on the ``Referer``.

    Examples
    --------
    >>> dict(security_headers())[b"x-frame-options"]
    b'DENY'
    """
    return [
        (b"content-security-policy", content_security_policy(tile_url).encode()),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
    ]


def _personal(path: str) -> bool:
    # API answers, the pages and their documents carry names, phones and reports of
    # wrongdoing: no browser or proxy may keep a copy. Static assets may be cached.
    return not path.startswith("/static/")


class SecurityHeaders:
    """Add :func:`security_headers` to every HTTP response, and ``Cache-Control: no-store``
    to every one but static assets unless the route chose its own caching.

    A plain ASGI middleware (no per-request objects beyond the header list): the API's hot
    paths answer in well under a millisecond and should stay so.
    """

    def __init__(self, app: ASGIApp, *, tile_url: str | None = None) -> None:
        self.app = app
        self.headers = security_headers(tile_url)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, adding the headers to the response's start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        no_store = _personal(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {k.lower() for k, _ in headers}
                headers += [h for h in self.headers if h[0] not in present]
                if no_store and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _split(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url.strip().lower())
        _ = parts.port  # a bad port raises here, not later
    except ValueError:
        return None
    return parts if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname else None


def _origin(url: str) -> tuple[str, int] | None:
    """``(host, port)`` of an origin, the port filled in from the scheme."""
    parts = _split(url)
    if parts is None or parts.hostname is None:
        return None
    default = 443 if parts.scheme in ("https", "wss") else 80
    return parts.hostname, parts.port or default


def origin_allowed(headers: Headers, allowed: Iterable[str] = ()) -> bool:
    """May a WebSocket handshake with these headers go on?

    Browsers always send ``Origin`` on a WebSocket handshake, and another site's page
    opening ours would ride on the reader's session cookie, so a foreign ``Origin`` is
    refused. Allowed:

    - the page's own origin: ``Origin`` names the host of the ``Host`` header, over http or
      https (a TLS proxy may stand in front), on the ``Host`` header's port when it names
      one (a proxy that passes ``$host`` drops the port);
    - the configured ``allowed`` origins (``DISPATCH_ALLOWED_ORIGINS``);
    - no ``Origin`` at all: that is not a browser (the benchmark, integrations, the
      tests), and it must bring its own token like any API client.

    ``Origin: null`` (a sandboxed frame, a file) is refused.

    Examples
    --------
    >>> origin_allowed(Headers({"host": "wall.example:8000", "origin": "http://wall.example:8000"}))
    True
    >>> origin_allowed(Headers({"host": "wall.example:8000", "origin": "https://evil.example"}))
    False
    >>> origin_allowed(Headers({"host": "wall.example:8000", "origin": "http://wall.example:9"}))
    False
    >>> origin_allowed(Headers({"host": "wall.example", "origin": "https://wall.example"}))
    True
    >>> origin_allowed(Headers({"host": "wall.example", "origin": "null"}))
    False
    >>> origin_allowed(Headers({"host": "wall.example"}))
    True
    >>> origin_allowed(Headers({"host": "10.0.0.5:8000", "origin": "https://wall.example"}),
    ...                {"https://wall.example"})
    True
    """
    raw = headers.get("origin")
    if raw is None:
        return True
    origin = _origin(raw)
    if origin is None:
        return False
    if origin in {_origin(a) for a in allowed}:
        return True
    host = _split("http://" + headers.get("host", ""))
    if host is None or host.hostname != origin[0]:
        return False
    return host.port is None or host.port == origin[1]


def install_browser_security(app: FastAPI, settings: Settings) -> None:
    """Add the headers to every response (call last: the outermost middleware)."""
    app.add_middleware(SecurityHeaders, tile_url=settings.tile_url)
