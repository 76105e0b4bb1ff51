"""Open311 GeoReport v2: the pure half of the server mounted under ``/open311/v2/``.

Services are the request taxonomy's sub-categories (``urban.sanitation`` 市容环卫 ...); a few
carry attributes (service definitions). A POST request's form fields map to an
:class:`~feeds.base.OrderDraft`, with the spec's error format
(``[{"code": 400, "description": "..."}]``) for what is wrong; an order maps back to a
``service_request`` (status open/closed, the reply deadline as ``expected_datetime``). Every
response type serialises to JSON and to XML with the spec's element names.

A POST may say ``private=true`` (or ``privacy=private``) when the citizen asks that the
request not be published: an extension, GeoReport v2 has no such field. What is published
is decided by the server (``dispatch_center.intake.open311``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from feeds.base import Attachment, DraftCategory, DraftLocation, DraftReporter, OrderDraft

__all__ = [
    "Open311Error",
    "RequestQuery",
    "Service",
    "ServiceAttribute",
    "discovery",
    "order_to_request",
    "parse_query",
    "post_response",
    "request_to_draft",
    "service_definition",
    "service_list",
    "services_from_taxonomy",
    "to_json",
    "to_xml",
    "token_response",
]

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
CLOSED_STATUSES = {"replied", "callback_done", "evaluated", "closed", "merged", "transferred_110"}
MAX_DESCRIPTION = 4000
DEFAULT_WINDOW = timedelta(days=90)
DEFAULT_LIMIT = 1000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PRIVATE = {"true": True, "1": True, "yes": True, "private": True}
_PUBLIC = {"false": False, "0": False, "no": False, "public": False}
_ATTR = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")


class Open311Error(Exception):
    """One or more errors in the spec's format; ``status`` is the HTTP status to answer.

    Examples
    --------
    >>> e = Open311Error([(400, "service_code was not provided")])
    >>> e.status, e.as_list()
    (400, [{'code': 400, 'description': 'service_code was not provided'}])
    """

    def __init__(self, errors: Sequence[tuple[int, str]]) -> None:
        super().__init__("; ".join(d for _, d in errors))
        self.errors = list(errors)

    @property
    def status(self) -> int:
        """The HTTP status: the first error's code."""
        return self.errors[0][0]

    def as_list(self) -> list[dict[str, Any]]:
        """The spec's error list."""
        return [{"code": c, "description": d} for c, d in self.errors]


@dataclass(frozen=True)
class ServiceAttribute:
    """An attribute of a service definition."""

    code: str
    datatype: str
    description: str
    order: int
    required: bool = False
    values: tuple[tuple[str, str], ...] = ()
    variable: bool = True
    datatype_description: str | None = None

    def __post_init__(self) -> None:
        if self.datatype not in DATATYPES:
            raise ValueError(f"datatype must be one of {DATATYPES}")


@dataclass(frozen=True)
class Service:
    """A service (one taxonomy sub-category)."""

    service_code: str
    service_name: str
    description: str
    group: str
    keywords: str = ""
    type: str = "realtime"
    attributes: tuple[ServiceAttribute, ...] = ()

    @property
    def metadata(self) -> bool:
        """True when the service has a definition with attributes."""
        return bool(self.attributes)


_YES_NO = (("yes", "是"), ("no", "否"))
ATTRIBUTES: Mapping[str, tuple[ServiceAttribute, ...]] = {
    "flood.waterlogging": (
        ServiceAttribute(
            "DEPTH",
            "singlevaluelist",
            "积水深度 Water depth",
            1,
            True,
            (("ankle", "脚踝以下"), ("knee", "齐膝"), ("waist", "齐腰及以上")),
        ),
        ServiceAttribute(
            "TRAPPED",
            "singlevaluelist",
            "是否有人员或车辆被困 People or vehicles trapped",
            2,
            True,
            _YES_NO,
        ),
    ),
    "housing.lift": (
        ServiceAttribute("TRAPPED", "number", "被困人数 People trapped", 1, True),
        ServiceAttribute("REG_CODE", "string", "电梯注册代码 Lift registration code", 2),
    ),
    "urban.streetlight": (ServiceAttribute("POLE_NO", "string", "灯杆编号 Pole number", 1),),
    "traffic.road": (
        ServiceAttribute(
            "HAZARD",
            "multivaluelist",
            "隐患类型 Hazard",
            1,
            True,
            (("pothole", "坑洼"), ("manhole", "井盖缺失"), ("collapse", "塌陷")),
        ),
    ),
}


def services_from_taxonomy(
    rows: Iterable[Mapping[str, Any]],
    attributes: Mapping[str, tuple[ServiceAttribute, ...]] = ATTRIBUTES,
) -> list[Service]:
    """One service per sub-category of the taxonomy (rows with a ``parent_code``).

    Examples
    --------
    >>> rows = [{"code": "urban", "name_zh": "城市管理", "name_en": "Urban management",
    ...     "parent_code": ""}, {"code": "urban.streetlight", "name_zh": "路灯照明",
    ...     "name_en": "Street lighting", "parent_code": "urban"}]
    >>> s = services_from_taxonomy(rows)[0]
    >>> (s.service_code, s.service_name, s.group, s.metadata)
    ('urban.streetlight', '路灯照明', '城市管理', True)
    """
    rows = list(rows)
    parents = {r["code"]: r for r in rows if not r.get("parent_code")}
    out = []
    for r in rows:
        parent = parents.get(r.get("parent_code") or "")
        if parent is None:
            continue
        out.append(
            Service(
                service_code=r["code"],
                service_name=r["name_zh"],
                description=f"{r['name_zh']} ({r['name_en']})",
                group=parent["name_zh"],
                keywords=f"{r['name_zh']}, {r['name_en'].lower()}, {parent['name_en'].lower()}",
                attributes=attributes.get(r["code"], ()),
            )
        )
    return out


def discovery(base_url: str, *, contact: str, changeset: str, key_service: str) -> dict[str, Any]:
    """The discovery document."""
    return {
        "changeset": changeset,
        "contact": contact,
        "key_service": key_service,
        "endpoints": [
            {
                "specification": SPEC_URL,
                "url": base_url.rstrip("/"),
                "changeset": changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def service_list(services: Iterable[Service]) -> list[dict[str, Any]]:
    """``GET services``."""
    return [
        {
            "service_code": s.service_code,
            "service_name": s.service_name,
            "description": s.description,
            "metadata": s.metadata,
            "type": s.type,
            "keywords": s.keywords,
            "group": s.group,
        }
        for s in services
    ]


def service_definition(service: Service) -> dict[str, Any]:
    """``GET services/{service_code}``."""
    return {
        "service_code": service.service_code,
        "attributes": [
            {
                "variable": a.variable,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": a.datatype_description,
                "order": a.order,
                "description": a.description,
                "values": [{"key": k, "name": n} for k, n in a.values],
            }
            for a in service.attributes
        ],
    }


def _form(form: Mapping[str, Any] | Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    pairs = form.items() if isinstance(form, Mapping) else form
    out: dict[str, list[str]] = {}
    for k, v in pairs:
        vals = list(v) if isinstance(v, list | tuple) else [v]
        out.setdefault(k, []).extend(str(x) for x in vals if x is not None)
    return out


def _one(f: dict[str, list[str]], key: str) -> str | None:
    vals = [v.strip() for v in f.get(key, []) if v.strip()]
    return vals[0] if vals else None


def _attributes(
    f: dict[str, list[str]], service: Service, errors: list[tuple[int, str]]
) -> dict[str, Any]:
    given: dict[str, list[str]] = {}
    for k, vals in f.items():
        m = _ATTR.match(k)
        if m:
            given.setdefault(m.group(1), []).extend(v for v in vals if v.strip())
    out: dict[str, Any] = {}
    for a in service.attributes:
        vals = given.get(a.code, [])
        if not vals:
            if a.required:
                errors.append((400, f"attribute[{a.code}] is required for {service.service_code}"))
            continue
        keys = {k for k, _ in a.values}
        if a.datatype in ("singlevaluelist", "multivaluelist"):
            bad = [v for v in vals if v not in keys]
            if bad or (a.datatype == "singlevaluelist" and len(vals) > 1):
                how = "one" if a.datatype == "singlevaluelist" else "some"
                errors.append(
                    (
                        400,
                        f"attribute[{a.code}] must be {how} of {sorted(keys)}",
                    )
                )
                continue
            out[a.code] = vals[0] if a.datatype == "singlevaluelist" else vals
        elif a.datatype == "number":
            try:
                out[a.code] = float(vals[0])
            except ValueError:
                errors.append((400, f"attribute[{a.code}] must be a number"))
        else:
            out[a.code] = vals[0]
    for code in given:
        if code not in {a.code for a in service.attributes}:
            errors.append((400, f"attribute[{code}] is not an attribute of {service.service_code}"))
    return out


def request_to_draft(
    form: Mapping[str, Any] | Iterable[tuple[str, str]],
    services: Iterable[Service],
    *,
    received_at: datetime,
) -> OrderDraft:
    """Map ``POST requests`` form fields to an order draft, or raise :class:`Open311Error`.

    ``api_key`` is checked by the route, not here. Every problem found is reported at once.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> svc = [Service("urban.sanitation", "市容环卫", "", "城市管理")]
    >>> d = request_to_draft({"service_code": "urban.sanitation", "lat": "29.55",
    ...     "long": "103.76", "description": "垃圾没人清运"}, svc,
    ...     received_at=datetime.now(timezone.utc))
    >>> (d.channel, d.category.code, d.location.lat)
    ('open311', 'urban.sanitation', 29.55)
    """
    f = _form(form)
    errors: list[tuple[int, str]] = []
    by_code = {s.service_code: s for s in services}
    code = _one(f, "service_code")
    service = by_code.get(code or "")
    if code is None:
        errors.append((400, "service_code was not provided"))
    elif service is None:
        errors.append((404, f"service_code {code} was not found"))
    lat_s, lon_s = _one(f, "lat"), _one(f, "long")
    address = _one(f, "address_string") or _one(f, "address_id")
    location = None
    if (lat_s is None) != (lon_s is None):
        errors.append((400, "lat and long must be given together"))
    elif lat_s is not None and lon_s is not None:
        try:
            lat, lon = float(lat_s), float(lon_s)
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError
            location = DraftLocation(lon, lat, "wgs84")
        except ValueError:
            errors.append((400, f"lat/long {lat_s},{lon_s} is not a WGS-84 position"))
    if location is None and address is None and lat_s is None and lon_s is None:
        errors.append((400, "a location is required: lat and long, address_string or address_id"))
    description = _one(f, "description") or ""
    if len(description) > MAX_DESCRIPTION:
        errors.append((400, f"description is longer than {MAX_DESCRIPTION} characters"))
    email = _one(f, "email")
    if email and not _EMAIL.match(email):
        errors.append((400, f"email {email} is not an e-mail address"))
    phone = _one(f, "phone")
    if phone and not re.match(r"^[0-9+\-() ]{3,40}$", phone):
        errors.append((400, "phone is not a telephone number"))
    attrs = _attributes(f, service, errors) if service is not None else {}
    private = _private(f, errors)
    if errors:
        raise Open311Error(errors)
    assert service is not None
    trapped = attrs.get("TRAPPED")
    urgent = trapped == "yes" or (isinstance(trapped, float) and trapped > 0)
    name = "".join(x for x in (_one(f, "last_name"), _one(f, "first_name")) if x) or None
    media = _one(f, "media_url")
    text = description or service.service_name
    if attrs:
        text += "（" + "；".join(f"{k}={v}" for k, v in attrs.items()) + "）"
    return OrderDraft(
        channel="open311",
        # A request about a public place asks the city to act (求助); it is no 举报 of a
        # person (a category that is one by nature is simply not published).
        category=DraftCategory("help", service.service_code),
        urgency="urgent" if urgent else "general",
        description=text,
        location=location,
        address=address,
        reporter=DraftReporter(name, phone) if (name or phone) else None,
        received_at=received_at,
        attachments=(Attachment("media", "application/octet-stream", url=media),) if media else (),
        extra={
            "email": email,
            "device_id": _one(f, "device_id"),
            "account_id": _one(f, "account_id"),
            "attributes": attrs,
            "address_id": _one(f, "address_id"),
            "private": private,
        },
    )


def _private(f: dict[str, list[str]], errors: list[tuple[int, str]]) -> bool:
    """Whether the citizen asked not to publish the request; any "private" value wins."""
    given = [v.strip().lower() for k in ("private", "privacy") for v in f.get(k, []) if v.strip()]
    bad = [v for v in given if v not in _PRIVATE and v not in _PUBLIC]
    if bad:
        errors.append((400, "private must be true or false (privacy: private or public)"))
    return any(_PRIVATE.get(v, False) for v in given)


def _iso(v: Any) -> str | None:
    if v is None:
        return None
    return v.isoformat() if isinstance(v, datetime) else str(v)


def order_to_request(
    order: Mapping[str, Any], services: Iterable[Service] = (), *, request_id: str
) -> dict[str, Any]:
    """An order (as the orders API shows it) → a ``service_request`` known as ``request_id``.

    ``request_id`` is the request's public id, never the order's own.

    Examples
    --------
    >>> r = order_to_request({"id": "42", "status": "in_progress", "category": {"code":
    ...     "urban.sanitation"}, "description": "垃圾", "location": {"lon": 103.76, "lat": 29.55},
    ...     "received_at": "2026-11-27T09:00:00+08:00", "deadlines": {"reply_by":
    ...     "2026-12-04T09:00:00+08:00"}, "assigned_unit": {"code": "U1", "name": "市中区城管局"}},
    ...     request_id="k3V9xQ")
    >>> (r["service_request_id"], r["status"], r["expected_datetime"], r["agency_responsible"])
    ('k3V9xQ', 'open', '2026-12-04T09:00:00+08:00', '市中区城管局')
    """
    names = {s.service_code: s.service_name for s in services}
    status = str(order.get("status", ""))
    category = order.get("category") or {}
    code = category.get("code") if isinstance(category, Mapping) else None
    loc = order.get("location") or {}
    deadlines = order.get("deadlines") or {}
    reply_by = deadlines.get("reply_by") or order.get("reply_by")
    unit = order.get("assigned_unit") or ((order.get("routing") or {}).get("lead")) or {}
    updated = (
        order.get("updated_at")
        or order.get("closed_at")
        or order.get("replied_at")
        or order.get("received_at")
    )
    closed = status in CLOSED_STATUSES
    notes = order.get("status_label") or status
    if status == "merged":
        # Not the other order's id: that one is internal, and may not be public at all.
        notes = "已并入其他工单（duplicate）"
    elif status == "transferred_110":
        notes = "已转110处置"
    return {
        "service_request_id": request_id,
        "status": "closed" if closed else "open",
        "status_notes": notes,
        "service_name": category.get("name") or names.get(code or "") or code,
        "service_code": code,
        "description": order.get("description"),
        "agency_responsible": unit.get("name") if isinstance(unit, Mapping) else None,
        "service_notice": None if closed or not reply_by else f"将于 {_iso(reply_by)} 前答复",
        "requested_datetime": _iso(order.get("received_at")),
        "updated_datetime": _iso(updated),
        "expected_datetime": _iso(reply_by),
        "address": order.get("address"),
        "address_id": None,
        "zipcode": None,
        "lat": loc.get("lat"),
        "long": loc.get("lon"),
        "media_url": order.get("media_url"),
    }


def post_response(
    service_request_id: str, *, service_notice: str | None = None, account_id: str | None = None
) -> list[dict[str, Any]]:
    """The answer to ``POST requests`` (the order was created at once, so an id, no token)."""
    return [
        {
            "service_request_id": service_request_id,
            "service_notice": service_notice,
            "account_id": account_id,
        }
    ]


def token_response(token: str, service_request_id: str | None) -> list[dict[str, Any]]:
    """The answer to ``GET tokens/{token}``."""
    return [{"service_request_id": service_request_id, "token": token}]


@dataclass(frozen=True)
class RequestQuery:
    """Parsed ``GET requests`` parameters (defaults: the last 90 days, at most 1,000)."""

    service_request_ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    limit: int = DEFAULT_LIMIT
    extra: Mapping[str, str] = field(default_factory=dict)


def parse_query(params: Mapping[str, str], *, now: datetime) -> RequestQuery:
    """Parse ``GET requests`` query parameters or raise :class:`Open311Error`.

    ``service_request_id`` overrides every other filter, as the spec says.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> q = parse_query({"status": "open,closed"}, now=datetime(2026, 11, 27, tzinfo=timezone.utc))
    >>> q.status, q.start.date().isoformat()
    (('open', 'closed'), '2026-08-29')
    """

    def split(key: str) -> tuple[str, ...]:
        return tuple(x.strip() for x in params.get(key, "").split(",") if x.strip())

    ids = split("service_request_id")
    if ids:
        return RequestQuery(service_request_ids=ids)
    status = split("status")
    bad = [s for s in status if s not in ("open", "closed")]
    errors: list[tuple[int, str]] = []
    if bad:
        errors.append((400, f"status must be open or closed, not {','.join(bad)}"))
    dates: dict[str, datetime | None] = {}
    for key in ("start_date", "end_date"):
        raw = params.get(key)
        dates[key] = None
        if raw:
            try:
                value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
                if value.tzinfo is None:
                    raise ValueError
                dates[key] = value
            except ValueError:
                errors.append((400, f"{key} must be a w3c date-time with offset, not {raw}"))
    if errors:
        raise Open311Error(errors)
    end = dates["end_date"] or now
    start = dates["start_date"] or end - DEFAULT_WINDOW
    if start > end:
        raise Open311Error([(400, "start_date is after end_date")])
    return RequestQuery(service_codes=split("service_code"), status=status, start=start, end=end)


# XML: which list keys hold which repeated child element.
_ITEM_NAMES = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
ROOTS = {"services": "service", "service_requests": "request", "errors": "error"}


def _put(parent: Element, key: str, value: Any) -> None:
    el = SubElement(parent, key)
    if isinstance(value, list):
        for item in value:
            if isinstance(item, Mapping):
                child = SubElement(el, _ITEM_NAMES.get(key, key.rstrip("s")))
                for k, v in item.items():
                    _put(child, k, v)
            else:
                SubElement(el, _ITEM_NAMES.get(key, key.rstrip("s"))).text = _scalar(item)
    elif isinstance(value, Mapping):
        for k, v in value.items():
            _put(el, k, v)
    else:
        el.text = _scalar(value)


def _scalar(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    return _iso(v)


def to_xml(root: str, document: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> bytes:
    """Serialise a response: ``root`` is services, service_requests, errors (lists),
    service_definition or discovery (single documents).

    Examples
    --------
    >>> to_xml("errors", [{"code": 404, "description": "not found"}]).decode().splitlines()[1]
    '<errors><error><code>404</code><description>not found</description></error></errors>'
    """
    top = Element(root)
    if isinstance(document, Mapping):
        for k, v in document.items():
            _put(top, k, v)
    else:
        for item in document:
            child = SubElement(top, ROOTS[root])
            for k, v in item.items():
                _put(child, k, v)
    return tostring(top, encoding="utf-8", xml_declaration=True)


def to_json(document: Any) -> bytes:
    """Serialise a response as UTF-8 JSON (Chinese kept as is)."""
    return json.dumps(document, ensure_ascii=False, default=_iso).encode("utf-8")
