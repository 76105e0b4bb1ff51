"""ASGI entry point for ``uvicorn dispatch_center.api.asgi:app`` (serve with workers)."""

from dispatch_center.api.app import create_app

app = create_app()
