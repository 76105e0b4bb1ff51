"""Open311 GeoReport v2 server: the services behind ``/open311/v2/``.

Services are the taxonomy's sub-categories (``feeds.open311``); ``POST requests`` makes a
work order at once (channel ``open311``), so the answer carries the ``service_request_id``
and a token that ``GET tokens/{token}`` resolves. Errors are :class:`feeds.open311.Open311Error`
(the route renders the spec's ``errors`` document with the right HTTP status).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center
from dispatch_center.core import lifecycle as lc
from dispatch_center.core.roles import Role
from dispatch_center.errors import Invalid
from dispatch_center.intake.ingest import Ingest
from dispatch_center.intake.sources import key_hash
from dispatch_center.models import OrderCreate
from dispatch_center.orders import service as order_service
from dispatch_center.store import channels as channel_store
from dispatch_center.store import orders as order_store
from feeds import open311 as spec

SOURCE = "open311"
_READER = Principal("open311", Role.auditor)  # masked phones: requests are public
_WRITER = Principal("open311", Role.dispatcher)


def services(center: Center) -> list[spec.Service]:
    """Every service: the taxonomy's sub-categories."""
    return spec.services_from_taxonomy(center.reference.categories.values())


def service(center: Center, code: str) -> spec.Service:
    """One service or the spec's 404."""
    for s in services(center):
        if s.service_code == code:
            return s
    raise spec.Open311Error([(404, f"service_code {code} was not found")])


def discovery(center: Center, base_url: str) -> dict[str, Any]:
    """The discovery document."""
    return spec.discovery(
        base_url,
        contact="乐山市12345政务服务便民热线 12345@leshan.gov.cn",
        changeset="2026-11-27T00:00:00+08:00",
        key_service="向乐山市12345中心申请 api_key（演示模式：DISPATCH_DEMO_API_KEY）",
    )


def check_api_key(ingest: Ingest, given: str | None) -> None:
    """``api_key`` of a POST: the ``open311`` source's key (403 in the spec's format)."""
    src = ingest.sources.find(SOURCE)
    if not given:
        raise spec.Open311Error([(403, "api_key was not provided")])
    if src is None or not src.key_hash or not hmac.compare_digest(src.key_hash, key_hash(given)):
        raise spec.Open311Error([(403, "api_key is not valid")])


async def post_request(
    center: Center, ingest: Ingest, form: Iterable[tuple[str, str]]
) -> list[dict[str, Any]]:
    """``POST requests``: check, make the work order, answer with its id."""
    pairs = list(form)
    check_api_key(ingest, next((v for k, v in pairs if k == "api_key"), None))
    ingest.check_limits(SOURCE, sum(len(k) + len(v) for k, v in pairs))
    draft = spec.request_to_draft(pairs, services(center), received_at=center.now())
    try:
        data = OrderCreate.model_validate(draft.to_order_body())
        view, _ = await order_service.create_order(center, _WRITER, data)
    except (ValidationError, Invalid) as exc:
        raise spec.Open311Error([(400, f"request refused: {exc}")]) from exc
    token = secrets.token_urlsafe(12)
    async with center.db.connection() as conn:
        await channel_store.open311_token_insert(conn, token, int(view["id"]))
    reply_by = (view.get("deadlines") or {}).get("reply_by")
    notice = f"工单 {view['number']} 已受理，将于 {reply_by} 前答复" if reply_by else None
    return spec.post_response(
        view["id"], service_notice=notice, account_id=draft.extra.get("account_id")
    )


def _status_filter(statuses: tuple[str, ...]) -> list[str] | None:
    if not statuses or set(statuses) == {"open", "closed"}:
        return None
    closed = set(spec.CLOSED_STATUSES)
    every = {s.value for s in lc.Status}
    want = closed if statuses == ("closed",) else every - closed
    return sorted(want)


async def get_requests(center: Center, params: Mapping[str, str]) -> list[dict[str, Any]]:
    """``GET requests`` with the spec's filters (90 days and 1,000 results by default)."""
    q = spec.parse_query(params, now=center.now())
    ids = []
    for raw in q.service_request_ids:
        if raw.isdigit() and len(raw) < 19:
            ids.append(int(raw))
    if q.service_request_ids and not ids:
        return []
    async with center.db.connection() as conn:
        rows = await channel_store.open311_orders(
            conn,
            ids=ids,
            codes=q.service_codes,
            statuses=_status_filter(q.status),
            start=q.start,
            end=q.end,
            limit=q.limit,
        )
    known = services(center)
    return [
        spec.order_to_request(order_service.order_view(center, _READER, r), known) for r in rows
    ]


async def get_request(center: Center, request_id: str) -> list[dict[str, Any]]:
    """``GET requests/{id}`` (a one-element list, as the spec answers)."""
    if not (request_id.isdigit() and len(request_id) < 19):
        raise spec.Open311Error([(404, f"service_request_id {request_id} was not found")])
    async with center.db.connection() as conn:
        row = await order_store.get_order(conn, int(request_id))
    if row is None:
        raise spec.Open311Error([(404, f"service_request_id {request_id} was not found")])
    return [spec.order_to_request(order_service.order_view(center, _READER, row), services(center))]


async def get_token(center: Center, token: str) -> list[dict[str, Any]]:
    """``GET tokens/{token}``."""
    async with center.db.connection() as conn:
        row = await channel_store.open311_token(conn, token)
    if row is None:
        raise spec.Open311Error([(404, f"token {token} was not found")])
    return spec.token_response(token, str(row["order_id"]))
