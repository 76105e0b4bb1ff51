"""API documentation served entirely from our own server (no CDN)."""

from __future__ import annotations

import swagger_ui_bundle
from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from dispatch_center.api.flat_routes import include_flat

router = APIRouter(include_in_schema=False)

ASSETS = "/static/swagger-ui"


@router.get("/docs")
async def docs() -> HTMLResponse:
    """Swagger UI, its script and style from the swagger-ui-bundle package."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="乐山12345 指挥调度中心 API",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        oauth2_redirect_url="/docs/oauth2-redirect",
    )


@router.get("/docs/oauth2-redirect")
async def oauth2_redirect() -> HTMLResponse:
    """Where the docs' sign-in dialog returns."""
    return get_swagger_ui_oauth2_redirect_html()


def mount_docs(app: FastAPI) -> None:
    """Serve the docs page and its assets."""
    app.mount(ASSETS, StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger-ui")
    include_flat(app, router)
