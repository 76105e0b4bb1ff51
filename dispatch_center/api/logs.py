"""Credentials stay out of the server's logs.

uvicorn writes each request's path with its query string to its access log, and each
WebSocket's path to its error log; a wall screen or a console opened with ``?token=``
(which the pages accept once, then move into the cookie) would leave its token there in
full, readable by whoever reads the logs. :class:`QueryRedactor` rewrites those lines as
they are made, on the loggers themselves, so every handler and format writes the redacted
path.
"""

from __future__ import annotations

import logging
import re

#: Query parameters that carry a credential: the pages' and the wall socket's token, an
#: OAuth-style token, and the Open311 client's key.
SECRET_PARAMETERS = ("token", "access_token", "api_key")

_SECRET = re.compile(
    r"(?P<name>[?&;](?:" + "|".join(SECRET_PARAMETERS) + r")=)[^&;#\s\"']*", re.IGNORECASE
)
#: The loggers that write request paths.
PATH_LOGGERS = ("uvicorn.access", "uvicorn.error")


def redact_query(text: str) -> str:
    """``text`` with the value of every credential query parameter replaced.

    Examples
    --------
    >>> redact_query('127.0.0.1:5 - "GET /wallboard?token=eyJ.x.y&lang=en HTTP/1.1" 303')
    '127.0.0.1:5 - "GET /wallboard?token=[redacted]&lang=en HTTP/1.1" 303'
    """
    if "=" not in text:
        return text
    return _SECRET.sub(r"\g<name>[redacted]", text)


class QueryRedactor(logging.Filter):
    """A logging filter that redacts credentials in a record's message and arguments (the
    argument tuple keeps its shape: uvicorn's access formatter unpacks it).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place; never drops it."""
        if isinstance(record.msg, str):
            record.msg = redact_query(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_query(a) if isinstance(a, str) else a for a in record.args)
        return True


def install_log_redaction() -> None:
    """Attach :class:`QueryRedactor` to the loggers that write request paths (once).

    Filters on a logger survive uvicorn's logging configuration (it replaces handlers,
    not filters); the app calls this at creation and again at start-up.

    Examples
    --------
    >>> install_log_redaction(); install_log_redaction()
    >>> sum(isinstance(f, QueryRedactor) for f in logging.getLogger("uvicorn.access").filters)
    1
    """
    for name in PATH_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, QueryRedactor) for f in logger.filters):
            logger.addFilter(QueryRedactor())
