"""API documentation served entirely from our own server (no CDN).

The OpenAPI document FastAPI emits is version 3.1, which Swagger UI renders from its
major version 5 on (version 4 shows "Unable to render this definition"). The files come
from the ``fastapi-offline`` package on PyPI, which ships Swagger UI 5's script and style
for exactly this use; only its files are used, the page is ours.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from dispatch_center.api.flat_routes import include_flat

router = APIRouter(include_in_schema=False)

ASSETS = "/static/swagger-ui"
SWAGGER_UI_FILES = files("fastapi_offline") / "static"
"""Swagger UI 5's ``swagger-ui-bundle.js``, ``swagger-ui.css`` and a ``favicon.png``."""

# A command center's network is closed: the online validator's badge would be a request
# to the outside on every page view.
PARAMETERS = {"validatorUrl": None}


@router.get("/docs")
async def docs() -> HTMLResponse:
    """Swagger UI, its script and style from our own server."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="乐山12345 指挥调度中心 API",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon.png",
        oauth2_redirect_url="/docs/oauth2-redirect",
        swagger_ui_parameters=PARAMETERS,
    )


@router.get("/docs/oauth2-redirect")
async def oauth2_redirect() -> HTMLResponse:
    """Where the docs' sign-in dialog returns."""
    return get_swagger_ui_oauth2_redirect_html()


def mount_docs(app: FastAPI) -> None:
    """Serve the docs page and its assets."""
    app.mount(ASSETS, StaticFiles(directory=str(SWAGGER_UI_FILES)), name="swagger-ui")
    include_flat(app, router)
