"""Tracking the teams: their position reports through :class:`geo.tracking.GeofenceTracker`.

Two kinds of fence: the scene of each task in progress (a circle of
:data:`~dispatch_center.core.teams.SCENE_RADIUS_M` around the place the team was sent to,
watched for that team only), and every live warning area (a CAP polygon), watched for all
teams. A team entering its scene has arrived (到达现场: the task goes on scene, the order's
timeline and the incident's log say so); a team entering or leaving a warning area is
recorded on its task the same way.

The trackers keep each team's side of each fence between reports, so they are a runtime
of the process (:class:`TeamTracking`, held on the center). The database decides what is
recorded: an arrival only moves a task that is still dispatched, and one event is kept
once (``team_events`` is unique on team, kind, fence and time), so two workers that both
saw the same reports record nothing twice.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shapely import affinity
from shapely.geometry import Point, shape

from dispatch_center.center import Center, publish_changes
from dispatch_center.command.common import Row, entry, iso
from dispatch_center.command.teams import ORDER_CHANGE, TASK_CHANGE, WARNING_WINDOW, task_view
from dispatch_center.core import teams as rules
from dispatch_center.store import changes
from dispatch_center.store import incidents as incident_store
from dispatch_center.store import teams as store
from dispatch_center.store.changes import Change
from dispatch_center.store.order_events import append_order_event
from geo.tracking import EventKind, Fence, FenceEvent, Fix, GeofenceTracker

log = logging.getLogger(__name__)

#: Reports come every two minutes: a dwell time would hold an arrival back by a whole
#: report, so the margin alone keeps a team on a fence's edge from flapping.
MARGIN_M = 20.0
DWELL_S = 0.0
#: The change kind of a tracking event (entity: the team's code).
EVENT_CHANGE = "team.event"
_M_PER_DEG_LAT = 110_574.0


def scene_circle(lon: float, lat: float, radius_m: float = rules.SCENE_RADIUS_M) -> Any:
    """A circle of ``radius_m`` metres around a place, in lon/lat degrees.

    Examples
    --------
    >>> c = scene_circle(103.76, 29.55, 100)
    >>> c.contains(Point(103.7605, 29.55)), c.contains(Point(103.762, 29.55))
    (True, False)
    """
    r = radius_m / _M_PER_DEG_LAT
    return affinity.scale(Point(lon, lat).buffer(r, 32), 1 / math.cos(math.radians(lat)), 1.0)


@dataclass
class _Watch:
    tracker: GeofenceTracker
    name: str
    team: str | None  # a scene is watched for its team only


def _live_warning(row: Row, now: datetime) -> bool:
    data = row.get("data") or {}
    if data.get("msg_type") == "Cancel" or data.get("ended") is True:
        return False
    expires = data.get("expires")
    return not (expires and datetime.fromisoformat(str(expires)) <= now)


class TeamTracking:
    """The geofence trackers of this process, one per fence (scenes come and go)."""

    def __init__(self) -> None:
        self.watches: dict[str, _Watch] = {}

    def sync(self, tasks: Sequence[Row], warnings: Sequence[Row], now: datetime) -> None:
        """Watch the scenes of ``tasks`` and the live ``warnings``; drop the rest."""
        want: dict[str, tuple[str, Any, str | None]] = {}
        for t in tasks:
            code = rules.scene_fence_code(int(t["id"]))
            want[code] = (t.get("place") or code, scene_circle(t["lon"], t["lat"]), t["team_code"])
        for w in warnings:
            if not _live_warning(w, now):
                continue
            try:
                geometry = shape(w["area"])
            except Exception:  # an area the map could not draw either: not a fence
                continue
            if geometry.is_empty:
                continue
            want[rules.warning_fence_code(w["key"])] = (w.get("title") or w["key"], geometry, None)
        for code in list(self.watches):
            if code not in want:
                del self.watches[code]
        for code, (name, geometry, team) in want.items():
            if code not in self.watches:
                tracker = GeofenceTracker(
                    [Fence(code, name, geometry)], margin_m=MARGIN_M, dwell_s=DWELL_S
                )
                self.watches[code] = _Watch(tracker, name, team)

    def track(self, fixes: Sequence[Fix]) -> list[tuple[FenceEvent, str]]:
        """The events of ``fixes`` (in time order) with each fence's name."""
        out: list[tuple[FenceEvent, str]] = []
        for fix in sorted(fixes, key=lambda f: f.t):
            for watch in self.watches.values():
                if watch.team is not None and watch.team != fix.unit_id:
                    continue
                out.extend((e, watch.name) for e in watch.tracker.update(fix))
        return out


def tracking_of(center: Center) -> TeamTracking:
    """This process's tracking (attached on first use)."""
    found = center.runtimes.find(TeamTracking)
    return found if found is not None else center.runtimes.attach(TeamTracking())


def fixes_of(items: Sequence[Any]) -> list[Fix]:
    """The position fixes among normalized feed items (``unit.position`` events)."""
    out = []
    for e in items:
        if getattr(e, "kind", None) != "unit.position" or getattr(e, "location", None) is None:
            continue
        code = e.values.get("unit_code")
        if code:
            out.append(Fix(str(code), e.occurred_at.timestamp(), e.location.lon, e.location.lat))
    return out


async def after_positions(center: Center, payload: bytes, items: Any, made: Any) -> None:
    """The intake's after-work for a system reporting positions: track them.

    Never raises: tracking must not hold up the intake (a failure is logged; the next
    report is tracked afresh).
    """
    fixes = fixes_of(list(items))
    if not fixes:
        return
    try:
        await track_fixes(center, fixes)
    except Exception as exc:
        log.warning("team tracking failed: %s", exc)


async def track_fixes(center: Center, fixes: Sequence[Fix]) -> list[Row]:
    """Track ``fixes`` and record the events the HQ follows; returns what was recorded."""
    now = center.now()
    async with center.db.connection() as conn:
        tasks = await store.active_tasks(conn)
        warnings = await store.warning_areas(conn, now - WARNING_WINDOW)
    tracking = tracking_of(center)
    tracking.sync(tasks, warnings, now)
    events = tracking.track(fixes)
    by_team = {t["team_code"]: t for t in tasks}
    recorded: list[Row] = []
    for event, name in events:
        got = await _record(center, event, name, by_team.get(event.unit_id))
        if got is not None:
            recorded.append(got)
    return recorded


async def _record(center: Center, event: FenceEvent, name: str, task: Row | None) -> Row | None:
    fence_kind, rest = rules.parse_fence(event.fence)
    kind = event.kind
    if fence_kind == "scene" and kind is EventKind.inside:
        kind = EventKind.enter  # the team was already there when it was sent
    words = rules.event_words(kind.value, fence_kind)
    if words is None:
        return None
    if fence_kind == "scene" and (task is None or str(task["id"]) != rest):
        return None
    at = datetime.fromtimestamp(event.since, tz=center.now().tzinfo)
    logged: list[Change | Row | None] = []
    async with center.db.connection() as conn, conn.transaction():
        kept = await store.record_event(
            conn,
            {
                "team_code": event.unit_id,
                "task_id": task["id"] if task else None,
                "at": at,
                "kind": kind.value,
                "fence": event.fence,
                "fence_name": name,
            },
        )
        if kept is None:
            return None
        if fence_kind == "scene" and kind is EventKind.enter and task is not None:
            moved = await store.mark_arrived(conn, task["id"], at)
            if moved is not None:
                moved["order_number"] = task.get("order_number")
                logged.append(
                    await changes.append_change(
                        conn, at, TASK_CHANGE, event.unit_id, {"task": task_view(moved)}
                    )
                )
        text = f"{task['team_name'] if task else event.unit_id}{words}：{name}"
        view = {
            "team_code": event.unit_id,
            "task_id": str(task["id"]) if task else None,
            "kind": kind.value,
            "fence": event.fence,
            "fence_name": name,
            "text": text,
            "at": iso(at),
        }
        if task is not None and task.get("order_id") is not None:
            logged.append(
                await append_order_event(
                    conn,
                    task["order_id"],
                    entry("tracking", f"team.{kind.value}", at, text, view),
                    ORDER_CHANGE,
                )
            )
        if task is not None:
            incidents = set(
                await incident_store.open_incidents_of_order(conn, task["order_id"])
                if task.get("order_id") is not None
                else []
            )
            if task.get("incident_id") is not None:
                incidents.add(int(task["incident_id"]))
            # The feed stamps whole seconds: an arrival reported in the second the team was
            # sent would sort before the tasking (and the incident's opening) in the log.
            # Nothing of this task can happen before it was given.
            logged_at = max(at, task["tasked_at"]) if task.get("tasked_at") else at
            for incident_id in sorted(incidents):
                await incident_store.log(
                    conn, incident_id, logged_at, "tracking", f"team.{kind.value}", text, view
                )
        logged.append(await changes.append_change(conn, at, EVENT_CHANGE, event.unit_id, view))
    await publish_changes(center, logged)
    return view
