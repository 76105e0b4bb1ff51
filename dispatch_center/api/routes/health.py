"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from dispatch_center.api.deps import CenterDep
from dispatch_center.health import readiness

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(center: CenterDep) -> JSONResponse:
    """200 only when the database and the bus answer; else 503 naming what is down."""
    report: dict[str, Any] = await readiness(center)
    return JSONResponse(status_code=200 if report["status"] == "ready" else 503, content=report)
