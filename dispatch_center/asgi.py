"""ASGI entry point for ``uvicorn dispatch_center.asgi:app`` (serve with workers)."""

from dispatch_center.app import create_app
from dispatch_center.settings import configure_logging, get_settings

_settings = get_settings()
configure_logging(_settings)
# In demo mode every worker makes sure the demo accounts exist with the demo password.
app = create_app(_settings, demo_password=_settings.demo_password if _settings.demo else None)
