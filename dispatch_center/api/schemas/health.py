"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from dispatch_center.api.schemas.common import Public


class HealthPublic(Public):
    """The process is up."""

    status: str


class ReadinessPublic(Public):
    """``ready`` (200) only when the database and the bus answer, else 503 naming what is
    ``down``; each check says how it went.
    """

    status: str = Field(examples=["ready"])
    down: list[str] | None = None
    checks: dict[str, Any] | None = None
