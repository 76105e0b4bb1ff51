"""Reports (日报…年报、专报) and the quarterly rankings with their follow-ups."""

from __future__ import annotations

from pydantic import Field

from dispatch_center.api.schemas.common import Day, Json, Number, Public, Timestamp


class ReportPublic(Public):
    """A report's data: its period and comparisons, then one section per table or chart
    (volume, measures, rates, trend, channels, categories, hot words, counties,
    hotspots, overdue, repeated requests, hard areas). The sections' inner shape
    follows the report templates and is left open here.
    """

    kind: str = Field(examples=["daily"])
    key: str = Field(examples=["2026-11-27"])
    label: str
    title: str
    period: Json
    as_of: Timestamp
    previous_period: Json | None = None
    same_period_last_year: Json | None = None
    volume: Json | None = None
    measures: Json | None = None
    rates: Json | None = None
    trend: list[Json] | None = None
    channels: list[Json] | None = None
    categories: list[Json] | None = None
    rising_categories: list[Json] | None = None
    hot_words: list[Json] | None = None
    counties: list[Json] | None = None
    hotspots: list[Json] | None = None
    overdue: Json | None = None
    repeated: Json | None = None
    hard_areas: list[Json] | None = None


class KeptReportPublic(Public):
    """A kept report with links to its files."""

    id: str
    kind: str
    period: Json = Field(description="start, end (exclusive) and label of the period")
    period_start: Day
    period_end: Day
    label: str
    title: str
    trigger: str = Field(examples=["schedule"])
    generated_by: str
    generated_at: Timestamp
    formats: list[str] = Field(examples=[["csv", "html", "pdf", "xlsx"]])
    links: dict[str, str]


class KeptReportList(Public):
    """Kept reports, newest first."""

    reports: list[KeptReportPublic]


class SpecialReportPublic(Public):
    """A special report (专报) made and kept in every format."""

    id: str
    title: str
    files: list[str]
    data: ReportPublic


class RankedUnit(Public):
    """A county (``code`` = adcode) or a department with its composite score."""

    rank: int
    code: str
    name: str | None
    score: Number | None
    bottom: bool
    received: int
    due: int
    replied: int
    evaluated: int
    response_rate: Number | None
    resolution_rate: Number | None
    on_time_rate: Number | None
    satisfaction_rate: Number | None
    return_rate: Number | None
    reopen_rate: Number | None
    avg_handle_hours: Number | None


class FollowupPublic(Public):
    """A bottom-ranked unit's follow-up: written explanation (书面说明), then interview
    (组织约谈).
    """

    quarter: str = Field(examples=["2026Q3"])
    kind: str
    unit_code: str
    unit_name: str | None
    rank: int
    score: Number | None
    status: str = Field(examples=["awaiting_explanation"])
    explanation: str | None
    explained_by: str | None
    explained_at: Timestamp | None
    interview_record: str | None
    interview_at: Timestamp | None
    interviewed_by: str | None
    created_at: Timestamp


class RankingPublic(Public):
    """人民群众最满意区县、部门: the quarter's list and the follow-ups of its bottom."""

    quarter: str
    label: str
    kind: str = Field(examples=["county"])
    closed: bool
    weights: dict[str, Number]
    units: list[RankedUnit]
    followups: list[FollowupPublic]


class FollowupList(Public):
    """Bottom-rank follow-ups, newest quarter first."""

    followups: list[FollowupPublic]
