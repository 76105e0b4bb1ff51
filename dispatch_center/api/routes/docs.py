"""API documentation served entirely from our own server (no CDN, no inline script).

The OpenAPI document FastAPI emits is version 3.1, which Swagger UI renders from its
major version 5 on (version 4 shows "Unable to render this definition"). The files come
from the ``fastapi-offline`` package on PyPI, which ships Swagger UI 5's script and style
for exactly this use; only its files are used, the page is ours. FastAPI's own page starts
Swagger UI with an inline script; ours keeps the settings in a JSON block and starts it
from ``/static/app/swagger-init.js``, as the Content-Security-Policy requires.
"""

from __future__ import annotations

import html
from importlib.resources import files
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import swagger_ui_default_parameters
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from dispatch_center.api.flat_routes import include_flat
from dispatch_center.api.pages import STATIC_PATH, json_block

router = APIRouter(include_in_schema=False)

ASSETS = "/static/swagger-ui"
SWAGGER_UI_FILES = files("fastapi_offline") / "static"
"""Swagger UI 5's ``swagger-ui-bundle.js``, ``swagger-ui.css`` and a ``favicon.png``."""
TITLE = "乐山12345 指挥调度中心 API"

# A command center's network is closed: the online validator's badge would be a request
# to the outside on every page view.
PARAMETERS: dict[str, Any] = {
    **swagger_ui_default_parameters,
    "url": "/openapi.json",
    "validatorUrl": None,
    # swagger-init.js prefixes the page's origin.
    "oauth2RedirectUrl": "/docs/oauth2-redirect",
}


@router.get("/docs")
async def docs() -> HTMLResponse:
    """Swagger UI, its script, style and settings from our own server."""
    return HTMLResponse(
        "<!DOCTYPE html>\n<html>\n<head>\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        f'<link type="text/css" rel="stylesheet" href="{ASSETS}/swagger-ui.css">\n'
        f'<link rel="shortcut icon" href="{ASSETS}/favicon.png">\n'
        f"<title>{html.escape(TITLE)}</title>\n</head>\n<body>\n"
        '<div id="swagger-ui"></div>\n'
        f'<script src="{ASSETS}/swagger-ui-bundle.js"></script>\n'
        '<script id="swagger-config" type="application/json">'
        f"{json_block(PARAMETERS)}</script>\n"
        f'<script src="{STATIC_PATH}/swagger-init.js"></script>\n'
        "</body>\n</html>\n"
    )


@router.get("/docs/oauth2-redirect")
async def oauth2_redirect() -> HTMLResponse:
    """Where the docs' sign-in dialog returns (Swagger UI's redirect, its script a file)."""
    return HTMLResponse(
        '<!doctype html>\n<html lang="en-US">\n<head>\n'
        "<title>Swagger UI: OAuth2 Redirect</title>\n</head>\n<body>\n"
        f'<script src="{STATIC_PATH}/oauth2-redirect.js"></script>\n'
        "</body>\n</html>\n"
    )


def mount_docs(app: FastAPI) -> None:
    """Serve the docs page and its assets."""
    app.mount(ASSETS, StaticFiles(directory=str(SWAGGER_UI_FILES)), name="swagger-ui")
    include_flat(app, router)
