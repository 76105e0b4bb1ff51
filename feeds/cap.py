"""CAP 1.2 (OASIS Common Alerting Protocol): parse, check, link, and turn into warning events.

Parsing goes through defusedxml (no DTDs, entities or external references). The required
elements of the standard are checked and a missing or invalid one raises
:class:`~feeds.base.PayloadError` naming it (``info[1].certainty``). Several ``info`` blocks
(one per language, or per event) are kept. Area geometry follows the standard: ``polygon`` is
a whitespace-separated list of ``lat,lon`` pairs (latitude first!), closed (first pair equals
last), ``circle`` is ``lat,lon radius_km``; ``geocode`` carries ``valueName``/``value`` (in
China, the ``adcode``). ``Update`` and ``Cancel`` messages name the messages they replace in
``references`` as ``sender,identifier,sent`` triples; :class:`CapBook` applies them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element

from feeds.base import Area, FeedEvent, Layer, PayloadError, Severity
from feeds.xmlsafe import child_text, children, local, parse_xml

__all__ = [
    "CAP_PUBLIC_VALUES",
    "CapAlert",
    "CapArea",
    "CapBook",
    "CapInfo",
    "CapReference",
    "alert_events",
    "parse_cap",
]

NAMESPACES = ("urn:oasis:names:tc:emergency:cap:1.2", "urn:oasis:names:tc:emergency:cap:1.1")
STATUS = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")
SCOPES = ("Public", "Restricted", "Private")
CATEGORIES = (
    "Geo",
    "Met",
    "Safety",
    "Security",
    "Rescue",
    "Fire",
    "Health",
    "Env",
    "Transport",
    "Infra",
    "CBRNE",
    "Other",
)
URGENCY = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITY = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CERTAINTY = ("Observed", "Likely", "Possible", "Unlikely", "Unknown", "Very Likely")
RESPONSE_TYPES = (
    "Shelter",
    "Evacuate",
    "Prepare",
    "Execute",
    "Avoid",
    "Monitor",
    "Assess",
    "AllClear",
    "None",
)
ADCODE_NAMES = ("adcode", "ADCODE", "行政区划代码", "areaCode", "GB2260")
#: The values of a ``cap.alert`` event that may leave the center: a warning is meant for
#: the public, so all of those :func:`alert_events` sets.
CAP_PUBLIC_VALUES = frozenset(
    {
        "sender",
        "identifier",
        "sent",
        "status",
        "msg_type",
        "chain_key",
        "references",
        "headlines",
        "language",
        "event",
        "headline",
        "description",
        "instruction",
        "categories",
        "urgency",
        "certainty",
        "expires",
        "area_desc",
        "adcodes",
        "parameters",
    }
)


@dataclass(frozen=True)
class CapReference:
    """One ``sender,identifier,sent`` triple from ``references``."""

    sender: str
    identifier: str
    sent: datetime

    @property
    def key(self) -> tuple[str, str]:
        """(sender, identifier): what identifies a CAP message."""
        return (self.sender, self.identifier)


@dataclass(frozen=True)
class CapArea:
    """An ``area`` block; polygons and circles are stored (lon, lat) like everything else."""

    desc: str
    polygons: tuple[tuple[tuple[float, float], ...], ...] = ()
    circles: tuple[tuple[float, float, float], ...] = ()
    geocodes: tuple[tuple[str, str], ...] = ()
    altitude: float | None = None
    ceiling: float | None = None


@dataclass(frozen=True)
class CapResource:
    """A ``resource`` block (a file referenced by the alert)."""

    desc: str
    mime_type: str
    uri: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class CapInfo:
    """An ``info`` block."""

    language: str
    categories: tuple[str, ...]
    event: str
    urgency: str
    severity: str
    certainty: str
    response_types: tuple[str, ...] = ()
    event_codes: tuple[tuple[str, str], ...] = ()
    effective: datetime | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    sender_name: str | None = None
    headline: str | None = None
    description: str | None = None
    instruction: str | None = None
    web: str | None = None
    contact: str | None = None
    parameters: tuple[tuple[str, str], ...] = ()
    resources: tuple[CapResource, ...] = ()
    areas: tuple[CapArea, ...] = ()


@dataclass(frozen=True)
class CapAlert:
    """A parsed, checked CAP message."""

    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    scope: str
    source: str | None = None
    restriction: str | None = None
    addresses: str | None = None
    codes: tuple[str, ...] = ()
    note: str | None = None
    references: tuple[CapReference, ...] = ()
    incidents: str | None = None
    infos: tuple[CapInfo, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        """(sender, identifier)."""
        return (self.sender, self.identifier)

    @property
    def chain_key(self) -> str:
        """``sender,identifier`` of the first message in this alert's chain.

        An Alert is its own chain; an Update or Cancel belongs to the chain of the earliest
        message it references, so all versions of one warning share a key.
        """
        if self.references:
            first = min(self.references, key=lambda r: r.sent)
            return f"{first.sender},{first.identifier}"
        return f"{self.sender},{self.identifier}"

    def info(self, languages: Iterable[str] = ("zh-CN", "zh", "en-US", "en")) -> CapInfo | None:
        """The first info block in the most preferred language (CAP's default is en-US)."""
        for lang in languages:
            for i in self.infos:
                if i.language.lower() == lang.lower() or i.language.lower().startswith(
                    lang.lower() + "-"
                ):
                    return i
        return self.infos[0] if self.infos else None


def _time(raw: str | None, where: str, required: bool = False) -> datetime | None:
    if raw is None or raw == "":
        if required:
            raise PayloadError(where, "required element is missing")
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(where, f"not a CAP date-time: {raw!r}") from None
    if value.tzinfo is None:
        raise PayloadError(where, f"a CAP date-time needs a UTC offset: {raw!r}")
    return value


def _req(el: Element, name: str, where: str, allowed: tuple[str, ...] | None = None) -> str:
    value = child_text(el, name)
    if not value:
        raise PayloadError(where + name, "required element is missing")
    if allowed is not None and value not in allowed:
        raise PayloadError(where + name, f"{value!r} is not one of {allowed}")
    return value


def _pairs(el: Element, name: str, where: str) -> tuple[tuple[str, str], ...]:
    out = []
    for i, c in enumerate(children(el, name)):
        vn, v = child_text(c, "valueName"), child_text(c, "value")
        if not vn or v is None:
            raise PayloadError(f"{where}{name}[{i}]", "needs valueName and value")
        out.append((vn, v))
    return tuple(out)


def _latlon(token: str, where: str) -> tuple[float, float]:
    try:
        lat_s, lon_s = token.split(",")
        lat, lon = float(lat_s), float(lon_s)
    except ValueError:
        raise PayloadError(where, f"{token!r} is not a 'lat,lon' pair") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise PayloadError(where, f"{token!r} is out of range (CAP writes latitude first)")
    return (lon, lat)


def _polygon(raw: str, where: str) -> tuple[tuple[float, float], ...]:
    ring = tuple(_latlon(t, where) for t in raw.split())
    if len(ring) < 4:
        raise PayloadError(where, "a polygon needs at least 4 'lat,lon' pairs")
    if ring[0] != ring[-1]:
        raise PayloadError(where, "a polygon must be closed (first pair equals last)")
    return ring


def _circle(raw: str, where: str) -> tuple[float, float, float]:
    parts = raw.split()
    if len(parts) != 2:
        raise PayloadError(where, f"{raw!r} is not 'lat,lon radius_km'")
    lon, lat = _latlon(parts[0], where)
    try:
        radius = float(parts[1])
    except ValueError:
        raise PayloadError(where, f"radius {parts[1]!r} is not a number") from None
    if radius < 0:
        raise PayloadError(where, "radius must not be negative")
    return (lon, lat, radius)


def _area(el: Element, where: str) -> CapArea:
    def num(name: str) -> float | None:
        raw = child_text(el, name)
        try:
            return float(raw) if raw else None
        except ValueError:
            raise PayloadError(where + name, f"not a number: {raw!r}") from None

    return CapArea(
        desc=_req(el, "areaDesc", where),
        polygons=tuple(
            _polygon(p.text or "", f"{where}polygon[{i}]")
            for i, p in enumerate(children(el, "polygon"))
        ),
        circles=tuple(
            _circle((c.text or "").strip(), f"{where}circle[{i}]")
            for i, c in enumerate(children(el, "circle"))
        ),
        geocodes=_pairs(el, "geocode", where),
        altitude=num("altitude"),
        ceiling=num("ceiling"),
    )


def _info(el: Element, where: str) -> CapInfo:
    cats = tuple((c.text or "").strip() for c in children(el, "category"))
    if not cats:
        raise PayloadError(where + "category", "required element is missing")
    for i, c in enumerate(cats):
        if c not in CATEGORIES:
            raise PayloadError(f"{where}category[{i}]", f"{c!r} is not one of {CATEGORIES}")
    responses = tuple((c.text or "").strip() for c in children(el, "responseType"))
    for i, r in enumerate(responses):
        if r not in RESPONSE_TYPES:
            raise PayloadError(f"{where}responseType[{i}]", f"{r!r} is not one of {RESPONSE_TYPES}")
    resources = []
    for i, res in enumerate(children(el, "resource")):
        rw = f"{where}resource[{i}]."
        size = child_text(res, "size")
        resources.append(
            CapResource(
                _req(res, "resourceDesc", rw),
                _req(res, "mimeType", rw),
                child_text(res, "uri"),
                int(size) if size else None,
            )
        )
    return CapInfo(
        language=child_text(el, "language") or "en-US",
        categories=cats,
        event=_req(el, "event", where),
        urgency=_req(el, "urgency", where, URGENCY),
        severity=_req(el, "severity", where, SEVERITY),
        certainty=_req(el, "certainty", where, CERTAINTY),
        response_types=responses,
        event_codes=_pairs(el, "eventCode", where),
        effective=_time(child_text(el, "effective"), where + "effective"),
        onset=_time(child_text(el, "onset"), where + "onset"),
        expires=_time(child_text(el, "expires"), where + "expires"),
        sender_name=child_text(el, "senderName"),
        headline=child_text(el, "headline"),
        description=child_text(el, "description"),
        instruction=child_text(el, "instruction"),
        web=child_text(el, "web"),
        contact=child_text(el, "contact"),
        parameters=_pairs(el, "parameter", where),
        resources=tuple(resources),
        areas=tuple(_area(a, f"{where}area[{i}].") for i, a in enumerate(children(el, "area"))),
    )


def _references(raw: str | None) -> tuple[CapReference, ...]:
    if not raw:
        return ()
    out = []
    for i, triple in enumerate(raw.split()):
        parts = triple.split(",")
        if len(parts) != 3 or not all(parts):
            raise PayloadError(f"references[{i}]", f"{triple!r} is not 'sender,identifier,sent'")
        sent = _time(parts[2], f"references[{i}]", required=True)
        assert sent is not None
        out.append(CapReference(parts[0], parts[1], sent))
    return tuple(out)


def parse_cap(payload: bytes | str) -> CapAlert:
    """Parse and check one CAP 1.2 (or 1.1) ``alert``.

    Examples
    --------
    >>> a = parse_cap('''<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
    ...   <identifier>X1</identifier><sender>s@example.org</sender>
    ...   <sent>2026-11-27T06:00:00+08:00</sent><status>Actual</status>
    ...   <msgType>Alert</msgType><scope>Public</scope></alert>''')
    >>> (a.identifier, a.msg_type, a.infos)
    ('X1', 'Alert', ())
    """
    root = parse_xml(payload)
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    if local(root.tag) != "alert":
        raise PayloadError("alert", f"root element is <{local(root.tag)}>, not <alert>")
    if ns not in NAMESPACES:
        raise PayloadError("alert", f"namespace {ns!r} is not CAP 1.2 ({NAMESPACES[0]})")
    sent = _time(child_text(root, "sent"), "sent", required=True)
    assert sent is not None
    msg_type = _req(root, "msgType", "", MSG_TYPES)
    scope = _req(root, "scope", "", SCOPES)
    alert = CapAlert(
        identifier=_req(root, "identifier", ""),
        sender=_req(root, "sender", ""),
        sent=sent,
        status=_req(root, "status", "", STATUS),
        msg_type=msg_type,
        scope=scope,
        source=child_text(root, "source"),
        restriction=child_text(root, "restriction"),
        addresses=child_text(root, "addresses"),
        codes=tuple((c.text or "").strip() for c in children(root, "code")),
        note=child_text(root, "note"),
        references=_references(child_text(root, "references")),
        incidents=child_text(root, "incidents"),
        infos=tuple(_info(el, f"info[{i}].") for i, el in enumerate(children(root, "info"))),
    )
    if scope == "Restricted" and not alert.restriction:
        raise PayloadError("restriction", "required when scope is Restricted")
    if scope == "Private" and not alert.addresses:
        raise PayloadError("addresses", "required when scope is Private")
    if msg_type in ("Update", "Cancel", "Ack", "Error") and not alert.references:
        raise PayloadError("references", f"a {msg_type} must reference the message(s) it concerns")
    return alert


def _merged_area(info: CapInfo) -> Area | None:
    if not info.areas:
        return None
    return Area(
        polygons=tuple(p for a in info.areas for p in a.polygons),
        circles=tuple(c for a in info.areas for c in a.circles),
        geocodes=tuple(g for a in info.areas for g in a.geocodes),
        datum="wgs84",  # CAP 1.2 §3.2.4: WGS 84
    )


def alert_events(alert: CapAlert, system: str = "weather_cap") -> list[FeedEvent]:
    """One ``cap.alert`` warning-layer event per info block in the preferred language.

    Blocks in other languages are the same warning translated; their headlines ride along
    in ``values["headlines"]``. An alert without info (a bare Cancel) still gives one event.

    Examples
    --------
    >>> a = parse_cap('''<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
    ...   <identifier>X1</identifier><sender>s@example.org</sender>
    ...   <sent>2026-11-27T06:00:00+08:00</sent><status>Actual</status>
    ...   <msgType>Alert</msgType><scope>Public</scope></alert>''')
    >>> alert_events(a)[0].values["chain_key"]
    's@example.org,X1'
    """
    preferred = alert.info()
    chosen = [i for i in alert.infos if preferred and i.language == preferred.language]
    headlines = {i.language: i.headline for i in alert.infos if i.headline}
    base: dict[str, Any] = {
        "sender": alert.sender,
        "identifier": alert.identifier,
        "sent": alert.sent.isoformat(),
        "status": alert.status,
        "msg_type": alert.msg_type,
        "chain_key": alert.chain_key,
        "references": [f"{r.sender},{r.identifier},{r.sent.isoformat()}" for r in alert.references],
        "headlines": headlines,
    }
    if not chosen:
        return [
            FeedEvent(
                system,
                f"{alert.sender},{alert.identifier}",
                "cap.alert",
                alert.sent,
                Layer.warnings,
                Severity.unknown,
                title=alert.note or alert.msg_type,
                values={**base, "categories": [], "adcodes": []},
            )
        ]
    out = []
    for n, info in enumerate(chosen):
        area = _merged_area(info)
        adcodes = [v for k, v in (area.geocodes if area else ()) if k in ADCODE_NAMES]
        out.append(
            FeedEvent(
                system=system,
                source_id=f"{alert.sender},{alert.identifier}#{n}",
                kind="cap.alert",
                occurred_at=info.effective or info.onset or alert.sent,
                layer=Layer.warnings,
                severity=Severity(info.severity.lower()),
                area=area,
                title=info.headline or info.event,
                values={
                    **base,
                    "language": info.language,
                    "event": info.event,
                    "headline": info.headline,
                    "description": info.description,
                    "instruction": info.instruction,
                    "categories": list(info.categories),
                    "urgency": info.urgency,
                    "certainty": info.certainty,
                    "expires": info.expires.isoformat() if info.expires else None,
                    "area_desc": "；".join(a.desc for a in info.areas),
                    "adcodes": adcodes,
                    "parameters": dict(info.parameters),
                },
            )
        )
    return out


@dataclass
class CapBook:
    """The current version of every CAP alert chain (pure, in memory; the store persists it).

    ``add`` applies a message: an Alert starts a chain; an Update replaces the chain's
    current version; a Cancel ends it. A message seen before (same sender and identifier)
    is a duplicate and changes nothing.

    Examples
    --------
    >>> book = CapBook()
    >>> a = parse_cap('''<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
    ...   <identifier>X1</identifier><sender>s@x</sender><sent>2026-11-27T06:00:00+08:00</sent>
    ...   <status>Actual</status><msgType>Alert</msgType><scope>Public</scope></alert>''')
    >>> book.add(a), book.add(a)
    ('new', 'duplicate')
    """

    current: dict[str, CapAlert] = field(default_factory=dict)
    cancelled: dict[str, CapAlert] = field(default_factory=dict)
    seen: set[tuple[str, str]] = field(default_factory=set)

    def add(self, alert: CapAlert) -> str:
        """Apply ``alert``; returns new, updated, cancelled, duplicate, or ignored (Ack/Error)."""
        if alert.key in self.seen:
            return "duplicate"
        self.seen.add(alert.key)
        chain = alert.chain_key
        if alert.msg_type == "Alert":
            self.current[chain] = alert
            return "new"
        if alert.msg_type == "Update":
            older = self.current.get(chain)
            if older is not None and older.sent > alert.sent:
                return "duplicate"  # an Update that arrives after a newer one changes nothing
            self.current[chain] = alert
            return "updated"
        if alert.msg_type == "Cancel":
            self.current.pop(chain, None)
            self.cancelled[chain] = alert
            return "cancelled"
        return "ignored"

    def active(self, now: datetime) -> list[CapAlert]:
        """Chains not cancelled whose latest version has an info block not yet expired."""
        out = []
        for alert in self.current.values():
            expiries = [i.expires for i in alert.infos]
            if not expiries or any(e is None or e > now for e in expiries):
                out.append(alert)
        return out
