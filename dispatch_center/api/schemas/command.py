"""The command console: field teams, their taskings, incidents."""

from __future__ import annotations

from pydantic import Field

from dispatch_center.api.schemas.common import Json, Number, Public, Timestamp


class TaskPublic(Public):
    """A team's tasking: where it was sent (an order's place, an incident's, a point) and
    how far it got (``dispatched`` → ``on_scene`` → ``done``).
    """

    id: str
    team_code: str = Field(examples=["SW-FX-01"])
    team_name: str
    order_id: str | None
    order_number: str | None
    incident_id: str | None
    lon: float
    lat: float
    place: str | None
    note: str | None
    state: str = Field(examples=["dispatched"])
    tasked_by: str
    tasked_at: Timestamp
    arrived_at: Timestamp | None
    ended_at: Timestamp | None


class TeamPublic(Public):
    """A field team on the board: status (在岗/出动/到场/返回/失联), where it last was and
    when (``age_s`` seconds ago), and its task in progress.
    """

    code: str = Field(examples=["SW-FX-01"])
    name: str | None
    kind: str | None = Field(default=None, examples=["防汛抢险"])
    crew: int | None = None
    status: str = Field(examples=["在岗"])
    reported_status: str | None = None
    lon: float | None
    lat: float | None
    seen_at: Timestamp | None
    age_s: int | None = None
    system: str | None = None
    tasking: TaskPublic | None
    in_warning: list[str] = Field(default_factory=list, description="warning areas it is inside")


class TeamList(Public):
    """Every team a connected system reports."""

    items: list[TeamPublic]


class NearTeam(TeamPublic):
    """A team and its straight-line distance to the place."""

    distance_m: Number


class NearestTeams(Public):
    """The nearest available teams; ``distance_kind`` is ``straight_line`` (no road network
    is loaded, so no ``eta_s``).
    """

    distance_kind: str = Field(examples=["straight_line"])
    items: list[NearTeam]


class IncidentLogLine(Public):
    """One line of an incident's running log."""

    at: Timestamp
    actor: str
    kind: str = Field(examples=["note"])
    text: str
    data: Json


class IncidentOrder(Public):
    """An order attached to an incident."""

    id: str
    number: str
    status: str
    urgency: str | None
    category: str | None
    county_code: str | None
    address: str | None
    attached_by: str
    attached_at: Timestamp


class IncidentPublic(Public):
    """An incident: what, where, which counties; its orders, teams and log; once closed,
    the summary a special report cites.
    """

    id: str
    title: str = Field(examples=["大渡河沙湾段超警"])
    place: str | None
    lon: float | None
    lat: float | None
    counties: list[str]
    status: str = Field(examples=["open"])
    opened_by: str
    opened_at: Timestamp
    closed_by: str | None
    closed_at: Timestamp | None
    summary: str | None
    order_count: int | None = None
    orders: list[IncidentOrder] | None = None
    tasks: list[TaskPublic] | None = None
    log: list[IncidentLogLine] | None = None


class IncidentList(Public):
    """Incidents, newest first."""

    items: list[IncidentPublic]
