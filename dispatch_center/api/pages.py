"""What the people's pages share: their data as JSON blocks, and the pages' own static
scripts (``dispatch_center/api/static``, served at ``/static/app``).

A page's script never holds a token: ``?token=`` is accepted once, moved into the
HttpOnly session cookie and removed from the URL (:class:`dispatch_center.api.deps.
PageGate`), and the script's requests carry the cookie. Scripts are files, never inline,
so the Content-Security-Policy can say ``script-src 'self'`` (see
:mod:`dispatch_center.api.browser`).
"""

from __future__ import annotations

from pathlib import Path

import orjson
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
STATIC_PATH = "/static/app"


def json_block(value: object) -> str:
    r"""``value`` as JSON to put inside ``<script type="application/json">``: a page's data
    travels this way, since the policy forbids inline script. Every ``<`` is written
    ``\u003c``, so neither ``</script>`` nor ``<!--`` in a text can end or bend the block.

    Examples
    --------
    >>> print(json_block({"topic": "</script><!--<script>"}))
    {"topic":"\u003c/script>\u003c!--\u003cscript>"}
    """
    return orjson.dumps(value).decode().replace("<", "\\u003c")


def mount_page_scripts(app: FastAPI) -> None:
    """Serve the pages' static scripts at ``/static/app``."""
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC), name="app-static")
