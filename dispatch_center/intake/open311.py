"""Open311 GeoReport v2 server: the services behind ``/open311/v2/``.

Services are the taxonomy's sub-categories (``feeds.open311``); ``POST requests`` makes a
work order at once (channel ``open311``), so the answer carries the ``service_request_id``
and a token that ``GET tokens/{token}`` resolves. Errors are :class:`feeds.open311.Open311Error`
(the route renders the spec's ``errors`` document with the right HTTP status).

``GET requests`` answers anyone, so it shows only what is public by policy:

- requests that came in through Open311, whose citizen did not ask to keep them private
  (the POST's ``private`` field). Not the web channel: orders of channel ``web`` include
  leaders' instructions from supervision sessions, and a web form carries no consent to
  publish; no other channel (phone, 110, e-mail, WeChat, petitions ...) ever;
- in a category marked public in the taxonomy (``taxonomy.csv`` says which and why: public
  places, nothing that points at a person), never a 举报 and never once handed to 110;
- known by a random public id, the same every time (``open311_requests``), never the
  order's sequential id; anything else answers 404 as if unknown;
- the description and address with phone and ID-card numbers redacted, the position
  rounded to :data:`PUBLIC_DECIMALS` (about 100 m), and no reporter.
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
from dispatch_center.core.disclosure import redact_text
from dispatch_center.core.roles import Role
from dispatch_center.errors import Invalid
from dispatch_center.intake.ingest import Ingest
from dispatch_center.intake.sources import key_hash
from dispatch_center.models import OrderCreate
from dispatch_center.orders import service as order_service
from dispatch_center.store import channels as channel_store
from feeds import open311 as spec

SOURCE = "open311"
_READER = Principal("open311", Role.auditor)  # masked phones (none is published anyway)
_WRITER = Principal("open311", Role.dispatcher)
Row = dict[str, Any]

#: Request types never published: a 举报 (report of wrongdoing) protects who made it.
UNPUBLISHED_TYPES = ("report",)
#: States never published: a request handed to the police is a police matter now.
UNPUBLISHED_STATUSES = ("transferred_110",)
#: Decimal places of a published latitude and longitude: 0.001° is about 111 m north-south
#: and 97 m east-west in Leshan (29.5°N). Enough to find the pothole's block, not to single
#: out the door of the citizen who stood in front of it.
PUBLIC_DECIMALS = 3


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
    # 16 random bytes: no one lists the requests by trying ids.
    public_id = secrets.token_urlsafe(16)
    async with center.db.connection() as conn, conn.transaction():
        await channel_store.open311_request_insert(
            conn,
            order_id=int(view["id"]),
            public_id=public_id,
            token=secrets.token_urlsafe(12),
            private=bool(draft.extra.get("private")),
        )
    reply_by = (view.get("deadlines") or {}).get("reply_by")
    notice = f"工单 {view['number']} 已受理，将于 {reply_by} 前答复" if reply_by else None
    return spec.post_response(
        public_id, service_notice=notice, account_id=draft.extra.get("account_id")
    )


def _status_filter(statuses: tuple[str, ...]) -> list[str] | None:
    if not statuses or set(statuses) == {"open", "closed"}:
        return None
    closed = set(spec.CLOSED_STATUSES)
    every = {s.value for s in lc.Status}
    want = closed if statuses == ("closed",) else every - closed
    return sorted(want)


def _published(center: Center, row: Row, known: list[spec.Service]) -> dict[str, Any]:
    """An order ``open311_published`` found, as the public reads it."""
    view = order_service.order_view(center, _READER, row)
    for key in ("description", "address"):
        if isinstance(view.get(key), str):
            view[key] = redact_text(view[key])
    published = spec.order_to_request(view, known, request_id=str(row["public_id"]))
    for key in ("lat", "long"):
        if published[key] is not None:
            published[key] = round(float(published[key]), PUBLIC_DECIMALS)
    return published


async def _find(center: Center, **query: Any) -> list[Row]:
    async with center.db.connection() as conn:
        return await channel_store.open311_published(
            conn,
            hidden_types=UNPUBLISHED_TYPES,
            hidden_statuses=UNPUBLISHED_STATUSES,
            **query,
        )


async def get_requests(center: Center, params: Mapping[str, str]) -> list[dict[str, Any]]:
    """``GET requests`` with the spec's filters (90 days and 1,000 results by default), of
    the published requests only.
    """
    q = spec.parse_query(params, now=center.now())
    if q.service_request_ids:
        rows = await _find(center, public_ids=q.service_request_ids)
    else:
        rows = await _find(
            center,
            codes=q.service_codes,
            statuses=_status_filter(q.status),
            start=q.start,
            end=q.end,
            limit=q.limit,
        )
    known = services(center)
    return [_published(center, r, known) for r in rows]


async def get_request(center: Center, request_id: str) -> list[dict[str, Any]]:
    """``GET requests/{id}`` (a one-element list, as the spec answers); 404 for anything
    not published, the same as for an id that never existed.
    """
    rows = await _find(center, public_ids=[request_id]) if len(request_id) <= 64 else []
    if not rows:
        raise spec.Open311Error([(404, f"service_request_id {request_id} was not found")])
    return [_published(center, rows[0], services(center))]


async def get_token(center: Center, token: str) -> list[dict[str, Any]]:
    """``GET tokens/{token}``."""
    async with center.db.connection() as conn:
        row = await channel_store.open311_token(conn, token)
    if row is None:
        raise spec.Open311Error([(404, f"token {token} was not found")])
    return spec.token_response(token, row["public_id"])
