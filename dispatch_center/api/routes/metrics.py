"""``/metrics`` for a Prometheus scraper (see ``docs/operations.md``)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from dispatch_center.accounts.identity import Gate
from dispatch_center.accounts.security import Principal
from dispatch_center.api.deps import CenterDep, RoleGate, oauth2
from dispatch_center.api.metrics import CONTENT_TYPE, exposition
from dispatch_center.api.schemas.common import SIGNED_IN, errors
from dispatch_center.core.roles import Role

router = APIRouter(tags=["health"])


class MetricsGate(RoleGate):
    """Admits the scraper's ``Authorization: Bearer <DISPATCH_METRICS_TOKEN>``, else an admin.

    The scraper is no person and has no account: its token is a setting, compared in
    constant time. Without the setting only an admin's token (or session) opens the page.
    """

    async def __call__(  # type: ignore[override]
        self, request: Request, token: Annotated[str | None, Depends(oauth2)]
    ) -> Principal | None:
        """``None`` for the scraper; the admin otherwise (401/403 as any API route)."""
        expected = request.app.state.center.settings.metrics_token
        secret = expected.get_secret_value().encode() if expected is not None else None
        if token and secret and hmac.compare_digest(token.encode(), secret):
            return None
        return await super().__call__(request, token)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format"},
        **errors(*SIGNED_IN),
    },
)
async def metrics(
    request: Request,
    center: CenterDep,
    _: Annotated[Principal | None, Depends(MetricsGate(Gate(frozenset({Role.admin}))))],
) -> Response:
    """Orders by status, intake lag per system, wall clients, outbox delays, pool use and
    request latency, in Prometheus' text format.
    """
    body = await exposition(center, request.app.state.metrics)
    return Response(body, media_type=CONTENT_TYPE)
