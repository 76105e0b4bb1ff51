"""A request id on every log line of a request, and log lines as JSON when asked.

Each HTTP request and WebSocket gets an id: the ``X-Request-ID`` the proxy (or client)
sent when it is a sane token, else a new one. It is echoed in the response's
``X-Request-ID`` header and held in a context variable for as long as the request runs,
so every line logged while serving it (the app's, psycopg's, uvicorn's access line)
carries it: ``request_id`` in JSON, ``[rid]`` after the level in text.

``DISPATCH_LOG_FORMAT=json`` writes one JSON object per line (``ts``, ``level``,
``logger``, ``message``, ``request_id``, ``exc`` when there is a traceback), for a log
shipper; the default stays the readable text line.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dispatch_center.settings import LOG_FORMAT

#: The request being served in this context ("-" outside any request).
REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
HEADER = "X-Request-ID"
_SANE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
#: Loggers that uvicorn gives handlers of their own (they do not reach the root's).
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def request_id_from(value: str | None) -> str:
    """The id to use for a request whose ``X-Request-ID`` header is ``value``.

    A header that is missing, too long or holds characters that could forge a log line
    is replaced by a new id.

    Examples
    --------
    >>> request_id_from("lb-7f3a.12")
    'lb-7f3a.12'
    >>> len(request_id_from(None)), len(request_id_from('x" injected\\n'))
    (32, 32)
    """
    if value and _SANE.match(value):
        return value
    return uuid.uuid4().hex


class RequestId:
    """ASGI middleware: choose the request's id, hold it while the request runs, echo it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request with its id in :data:`REQUEST_ID`."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        sent = dict(scope.get("headers") or []).get(b"x-request-id")
        rid = request_id_from(sent.decode("latin-1") if sent else None)
        token = REQUEST_ID.set(rid)

        async def echoing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", rid.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, echoing)
        finally:
            REQUEST_ID.reset(token)


class RequestIdFilter(logging.Filter):
    """Put the current request id on each record (``record.request_id``); never drops."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Tag ``record``."""
        record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per log line.

    Examples
    --------
    >>> record = logging.LogRecord("dispatch", logging.INFO, __file__, 1, "hi %s", ("you",), None)
    >>> record.request_id = "abc"
    >>> out = json.loads(JsonFormatter().format(record))
    >>> out["message"], out["request_id"], out["level"]
    ('hi you', 'abc', 'INFO')
    """

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", REQUEST_ID.get()),
        }
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


#: The text format with the request id after the level.
TEXT_FORMAT = LOG_FORMAT.replace("%(levelname)s", "%(levelname)s [%(request_id)s]")


def install_request_logging(log_format: str) -> None:
    """Tag every handler's records with the request id and set their format (once each).

    Handlers of the root logger and of uvicorn's own loggers (uvicorn configures those
    after the app is made, so the app calls this at creation and again at start-up).

    Examples
    --------
    >>> install_request_logging("text")
    >>> handler = logging.getLogger().handlers[0]
    >>> sum(isinstance(f, RequestIdFilter) for f in handler.filters)
    1
    """
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(format=LOG_FORMAT)
    formatter = JsonFormatter() if log_format == "json" else None
    for name in ("", *UVICORN_LOGGERS):
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
                handler.addFilter(RequestIdFilter())
            if formatter is not None:
                handler.setFormatter(formatter)
            elif getattr(handler.formatter, "_fmt", None) == LOG_FORMAT:
                # Only our own text lines gain the id; another handler's format is its own.
                handler.setFormatter(logging.Formatter(TEXT_FORMAT))
