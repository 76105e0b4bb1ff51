"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

from dispatch_center.api.deps import CenterDep
from dispatch_center.api.responses import PublicRouter, model_response
from dispatch_center.api.schemas.health import HealthPublic, ReadinessPublic
from dispatch_center.health import readiness

router = PublicRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> HealthPublic:
    """The process is up."""
    return HealthPublic.model_validate({"status": "ok"})


@router.get(
    "/readyz",
    response_model=ReadinessPublic,
    responses={503: {"model": ReadinessPublic, "description": "Not ready: what is down"}},
)
async def readyz(center: CenterDep) -> Response:
    """200 only when the database and the bus answer; else 503 naming what is down."""
    report: dict[str, Any] = await readiness(center)
    status = 200 if report["status"] == "ready" else 503
    return model_response(ReadinessPublic.model_validate(report), status)
