"""Reports (日报…年报、专报) and the quarterly ranking with its bottom-rank follow-ups."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import Body, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import Field

from dispatch_center.accounts.scope import reading_scope
from dispatch_center.accounts.security import Principal
from dispatch_center.api.deps import AnyUser, CenterDep, CenterStaff, require
from dispatch_center.api.responses import PublicRouter, model_response
from dispatch_center.api.schemas.common import BIGINT_MAX, SIGNED_IN, errors
from dispatch_center.api.schemas.reports import (
    FollowupList,
    FollowupPublic,
    KeptReportList,
    KeptReportPublic,
    RankingPublic,
    ReportPublic,
    SpecialReportPublic,
)
from dispatch_center.core.analysis.periods import Period, PeriodKind
from dispatch_center.core.roles import Role
from dispatch_center.errors import Invalid, NotFound
from dispatch_center.models import Clean, PlausibleDate, ServiceDay, ServiceTime
from dispatch_center.reporting import reports, special
from dispatch_center.reporting.followups import (
    list_followups,
    record_interview,
    submit_explanation,
)
from dispatch_center.reporting.ranking import ranking_view
from dispatch_center.reporting.render import FORMATS, MEDIA_TYPES
from dispatch_center.reporting.report_data import default_report_day
from dispatch_center.store import analysis as store

router = PublicRouter(tags=["reports"])

# The follow-ups of a ranking: the ranked unit's handler explains (the service checks the
# unit), a leader or the duty officer records the interview.
RankedUnitHandler = Annotated[Principal, Depends(require(Role.handler))]
Interviewer = Annotated[Principal, Depends(require(Role.leader, Role.duty_officer))]

DOCUMENTS: dict[str, dict[str, Any]] = {
    "text/html": {},
    "application/pdf": {},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
    "text/csv": {},
}

Kind = Literal["daily", "weekly", "monthly", "quarterly", "annual"]
Format = Literal["json", "html", "pdf", "xlsx", "csv"]
DocumentFormat = Literal["html", "pdf", "xlsx", "csv"]
DOCUMENT_FORMATS: tuple[DocumentFormat, ...] = ("html", "pdf", "xlsx", "csv")


class ReportMake(Clean):
    """What report to make: the period containing ``date`` (default: yesterday), in
    ``formats`` (default: every document format).
    """

    day: ServiceDay | None = Field(default=None, alias="date")
    formats: list[DocumentFormat] = Field(
        default_factory=lambda: list(DOCUMENT_FORMATS), min_length=1, max_length=4
    )


Adcode = Annotated[str, Field(pattern=r"^\d{6}$")]


class SpecialReport(Clean):
    """A special report (专报) over any run of days, under a topic, optionally on some
    counties (adcodes) and citing an incident.
    """

    start: ServiceDay
    end: ServiceDay = Field(description="last day included")
    topic: str | None = Field(default=None, min_length=1, max_length=200)
    area: list[Annotated[str, Field(pattern=r"^\d{6}$")]] = Field(
        default_factory=list, max_length=11
    )
    incident_id: int | None = Field(default=None, ge=1, le=BIGINT_MAX)


class Explanation(Clean):
    """The written explanation of a bottom-ranked unit (书面说明)."""

    text: str = Field(min_length=1, max_length=20_000)


class Interview(Clean):
    """The record of the interview (组织约谈)."""

    record: str = Field(min_length=1, max_length=20_000)
    held_at: ServiceTime | None = None


def _wanted(request: Request, fmt: Format | None) -> str:
    if fmt:
        return fmt
    accept = request.headers.get("accept", "")
    return "html" if "text/html" in accept else "json"


def _document(fmt: str, body: bytes, name: str) -> Response:
    disposition = "inline" if fmt in ("html", "pdf") else "attachment"
    return Response(
        body,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'{disposition}; filename="{name}.{fmt}"'},
    )


async def _respond(request: Request, center: Any, period: Period, fmt: Format | None) -> Response:
    """A read: the data computed now (JSON), or the newest kept document of the period.
    Nothing is made here (a GET never makes a report; ``POST`` does).
    """
    wanted = _wanted(request, fmt)
    if wanted == "json":
        return model_response(ReportPublic.model_validate(await reports.report_for(center, period)))
    content = await reports.kept_document(center, period, wanted)
    if content is None:
        raise NotFound(
            f"no {wanted} of the {period.kind.value} report {period.key} is kept:"
            f" POST /api/v1/reports/{period.kind.value} makes one"
        )
    return _document(wanted, content, f"{period.kind.value}-{period.key}")


def _kept_view(r: dict[str, Any]) -> dict[str, Any]:
    """A kept report in a list: its period, formats and links, never its data."""
    plain = {
        k: (v.isoformat() if isinstance(v, date | datetime) else v)
        for k, v in r.items()
        if k not in ("files", "data")
    }
    files = sorted(r.get("files") or {})
    return {
        **plain,
        "id": str(r["id"]),
        "period": {
            "start": plain["period_start"],
            "end": plain["period_end"],
            "label": plain["label"],
        },
        "formats": files,
        "links": {f: f"/api/v1/reports/archive/{r['id']}?format={f}" for f in files},
    }


@router.get("/api/v1/reports", responses=errors(*SIGNED_IN, 422))
async def list_reports(
    center: CenterDep,
    who: CenterStaff,
    kind: Annotated[PeriodKind | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> KeptReportList:
    """Kept reports, newest first: ``id``, ``kind``, ``period``, ``formats`` and links."""
    async with center.db.connection() as conn:
        rows = await store.list_reports(conn, kind.value if kind else None, limit)
    return KeptReportList.model_validate({"reports": [_kept_view(r) for r in rows]})


@router.get(
    "/api/v1/reports/archive/{report_id}",
    response_model=ReportPublic,
    responses={
        200: {"description": "Its data (JSON) as kept, or one of its files", "content": DOCUMENTS},
        **errors(*SIGNED_IN, 404, 422),
    },
)
async def kept_report(
    center: CenterDep,
    who: CenterStaff,
    report_id: Annotated[int, Path(ge=1, le=BIGINT_MAX)],
    format: Format = "json",
) -> Response:
    """A kept report: its data as it was, or one of its files."""
    async with center.db.connection() as conn:
        row = await store.get_report(conn, report_id)
    if row is None:
        raise NotFound(f"no report {report_id}")
    if format == "json":
        return model_response(ReportPublic.model_validate(row["data"]))
    content = await reports.read_file((row["files"] or {}).get(format))
    if content is None:
        raise NotFound(f"report {report_id} has no {format} file")
    return _document(format, content, f"{row['kind']}-{report_id}")


@router.post("/api/v1/reports/special", status_code=201, responses=errors(*SIGNED_IN, 422))
async def special_report(
    center: CenterDep, who: CenterStaff, body: SpecialReport
) -> SpecialReportPublic:
    """Make and keep a special report (专报) over ``start``..``end`` in every format."""
    if body.end < body.start or (body.end - body.start).days > 731:
        raise Invalid(
            "end must be on or after start, within two years", fields={"end": "bad range"}
        )
    period = Period(PeriodKind.special, body.start, body.end + timedelta(days=1))
    units = center.reference.units
    unknown = [c for c in body.area if (units.get(c) or {}).get("kind") != "county"]
    if unknown:
        raise Invalid(f"not a county: {', '.join(unknown)}", fields={"area": "adcodes of counties"})
    cited = await special.cite_incident(center, body.incident_id)
    names = {c: units[c]["name"] for c in body.area}

    def shape(data: dict[str, Any]) -> dict[str, Any]:
        return special.shape_special(
            data, topic=body.topic, area=body.area, area_names=names, incident=cited
        )

    rec = await reports.generate(
        center, period, trigger="demand", by=who.username, formats=FORMATS, shape=shape
    )
    return SpecialReportPublic.model_validate(
        {
            "id": str(rec["id"]),
            "title": rec["data"]["title"],
            "files": sorted(rec["files"]),
            "data": rec["data"],
        }
    )


@router.get(
    "/api/v1/reports/{kind}",
    response_model=ReportPublic,
    responses={
        200: {"description": "The report's data, or a document of it", "content": DOCUMENTS},
        **errors(*SIGNED_IN, 404, 422),
    },
)
async def report(
    center: CenterDep,
    who: CenterStaff,
    request: Request,
    kind: Kind,
    date_: Annotated[PlausibleDate | None, Query(alias="date")] = None,
    format: Format | None = None,
) -> Response:
    """The report of the period containing ``date`` (default: yesterday): its data computed
    now (JSON), or with ``Accept: text/html`` or ``?format=html|pdf|xlsx|csv`` the newest
    kept document of that period (404 when none is kept: ``POST`` makes one).
    """
    day = date_ or default_report_day(center.today())
    return await _respond(request, center, reports.period_of(kind, day), format)


@router.post("/api/v1/reports/{kind}", status_code=201, responses=errors(*SIGNED_IN, 422))
async def make_report(
    center: CenterDep,
    who: CenterStaff,
    kind: Kind,
    body: Annotated[ReportMake, Body()],
) -> KeptReportPublic:
    """Make and keep the report of the period containing ``date`` in ``formats``; ``GET``
    then serves its documents.
    """
    period = reports.period_of(kind, body.day or default_report_day(center.today()))
    rec = await reports.generate(
        center, period, trigger="demand", by=who.username, formats=sorted(set(body.formats))
    )
    return KeptReportPublic.model_validate(_kept_view(rec))


@router.get("/api/v1/rankings", responses=errors(*SIGNED_IN, 422))
async def rankings(
    center: CenterDep,
    who: AnyUser,
    quarter: Annotated[str, Query(pattern=r"^\d{4}[Qq][1-4]$")],
    kind: Literal["county", "department"] = "county",
    weights: Annotated[
        str | None, Query(max_length=200, description="e.g. satisfaction=0.4,on_time=0.2")
    ] = None,
) -> RankingPublic:
    """人民群众最满意区县、部门: the composite score per county (by adcode) or department."""
    return RankingPublic.model_validate(await ranking_view(center, quarter.upper(), kind, weights))


@router.get("/api/v1/rankings/followups", responses=errors(*SIGNED_IN, 422))
async def followups(
    center: CenterDep,
    who: AnyUser,
    quarter: Annotated[str | None, Query(pattern=r"^\d{4}Q[1-4]$")] = None,
    kind: Literal["county", "department"] | None = None,
) -> FollowupList:
    """Bottom-rank follow-ups and how far each has come (a handler: its own units')."""
    scope = reading_scope(center, who)
    return FollowupList.model_validate(
        {"followups": await list_followups(center, quarter, kind, scope)}
    )


@router.post(
    "/api/v1/rankings/{quarter}/{kind}/{code}/explanation",
    responses=errors(*SIGNED_IN, 404, 409, 422),
)
async def explanation(
    center: CenterDep,
    who: RankedUnitHandler,
    quarter: str,
    kind: Literal["county", "department"],
    code: str,
    body: Annotated[Explanation, Body()],
) -> FollowupPublic:
    """The bottom-ranked unit's handler submits its written explanation (书面说明)."""
    return FollowupPublic.model_validate(
        await submit_explanation(center, who, quarter.upper(), kind, code, body.text)
    )


@router.post(
    "/api/v1/rankings/{quarter}/{kind}/{code}/interview",
    responses=errors(*SIGNED_IN, 404, 409, 422),
)
async def interview(
    center: CenterDep,
    who: Interviewer,
    quarter: str,
    kind: Literal["county", "department"],
    code: str,
    body: Annotated[Interview, Body()],
) -> FollowupPublic:
    """A leader or the duty officer records the interview (组织约谈); the follow-up is done."""
    return FollowupPublic.model_validate(
        await record_interview(center, who, quarter.upper(), kind, code, body.record, body.held_at)
    )
