"""The schedule: starts and ends applied on time, the scheduler loop, and holiday windows.

Every worker runs a :class:`ModeScheduler`; the database flag each transition flips makes
sure only one of them applies it. Holiday windows are proposed from the statutory calendar
for the holiday HQ to confirm.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.background import BackgroundLoop
from dispatch_center.center import Center
from dispatch_center.core.roles import Role
from dispatch_center.errors import NotFound
from dispatch_center.modeswitch.common import Modes, Row, change_summary, iso, top_mode
from dispatch_center.modeswitch.effects import apply_to_open_orders
from dispatch_center.modeswitch.state import after_commit, mode_view, refresh
from dispatch_center.modeswitch.suggestions import end_expired_warnings
from dispatch_center.modeswitch.switching import switch
from dispatch_center.store import changes
from dispatch_center.store import modes as store
from dispatch_center.store.modes import Conn
from modes.holidays import propose_windows
from modes.policy import ModeName
from modes.scope import SwitchRequest, Transition, due_transitions, mode_map, next_transition

SCHEDULER = Principal("scheduler", Role.admin)
SCHEDULER_TICK = 1.0
# How often each worker looks for CAP warnings that expired under a live suggestion.
WARNING_SWEEP_S = 5.0


async def run_due(center: Center) -> int:
    """Apply the starts and ends whose time has come; each exactly once across workers."""
    await refresh(center)
    now = center.now()
    due = due_transitions(center.modes.declarations, now)
    if not due:
        return 0
    groups: dict[datetime, list[Transition]] = {}
    for t in due:
        groups.setdefault(t.at, []).append(t)
    applied = 0
    for at, transitions in sorted(groups.items()):
        applied += await _apply_due(center, at, transitions, now)
    return applied


async def _apply_due(
    center: Center, at: datetime, transitions: list[Transition], now: datetime
) -> int:
    """Apply the transitions due at ``at`` that no other worker claimed; how many."""
    decls = list(center.modes.declarations)
    before = mode_map(center.modes.counties, decls, at - timedelta(microseconds=1))
    after = mode_map(center.modes.counties, decls, at)
    async with center.db.connection() as conn, conn.transaction():
        claimed: list[Row] = []
        for t in transitions:
            entry = await _claim(conn, t, before, after, now)
            if entry is not None:
                claimed.append(entry)
        if not claimed:
            return 0
        history_id = str(claimed[-1]["id"])
        change = await changes.append_change(
            conn,
            now,
            "mode.changed",
            history_id,
            {
                "mode": mode_view(center, now),
                "action": "scheduled",
                "actor": SCHEDULER.username,
                "history_id": history_id,
            },
        )
    await after_commit(center, change)
    await apply_to_open_orders(center, SCHEDULER, before, after, now)
    return len(claimed)


async def _claim(
    conn: Conn, t: Transition, before: Modes, after: Modes, now: datetime
) -> Row | None:
    """Claim one transition and record it in the history (None: another worker has it)."""
    if await store.claim_transition(conn, t.declaration.id, t.kind) is None:
        return None
    d = t.declaration
    return await store.insert_history(
        conn,
        {
            "at": now,
            "action": t.kind,
            "actor": SCHEDULER.username,
            "role": "system",
            "from_mode": top_mode(before, d.scope).mode.value,
            "to_mode": d.mode.value if t.kind == "start" else ModeName.normal.value,
            "emergency_type": d.emergency_type.value if d.emergency_type else None,
            "scope": sorted(d.scope) if d.scope is not None else None,
            "reason": d.reason,
            "starts_at": d.starts_at,
            "ends_at": d.ends_at,
            "status": "active" if t.kind == "start" else "ended",
            "declaration_id": d.id,
            "data": {"changes": change_summary(before, after), "scheduled_at": iso(t.at)},
        },
    )


class ModeScheduler(BackgroundLoop):
    """Starts and ends scheduled modes on time and keeps this worker's modes current.

    Every worker runs one; the database flag each transition flips makes sure only one
    of them applies it.
    """

    name = "mode scheduler"

    def __init__(self, center: Center, tick: float = SCHEDULER_TICK) -> None:
        super().__init__()
        self.center = center
        self.tick = tick
        self.retry_after = tick
        self.last_run_at: datetime | None = None
        self.last_sweep_at: datetime | None = None

    async def step(self) -> float:
        """Apply what is due; sleep until the next transition or the tick."""
        await run_due(self.center)
        now = self.center.now()
        if self.last_sweep_at is None or (now - self.last_sweep_at).total_seconds() >= (
            WARNING_SWEEP_S
        ):
            self.last_sweep_at = now
            await end_expired_warnings(self.center)
        self.last_run_at = self.center.now()
        nxt = next_transition(self.center.modes.declarations, self.center.now())
        if nxt is None:
            return self.tick
        return min(self.tick, max(0.01, (nxt.at - self.center.now()).total_seconds()))


def schedule_view(center: Center) -> dict[str, Any]:
    """Declarations in force or still to start, and the next transition."""
    now = center.now()
    view = mode_view(center, now)
    return {
        "in_force": view["in_force"],
        "scheduled": view["scheduled"],
        "next_change": view["next_change"],
    }


def holiday_windows(center: Center, start: date | None = None, days: int = 366) -> dict[str, Any]:
    """Holiday-mode windows proposed from the statutory calendar, with whether each is
    already scheduled.
    """
    start = start or center.today()
    windows = propose_windows(center.reference.calendar, start, start + timedelta(days=days))
    decls = [d for d in center.modes.declarations if d.mode is ModeName.holiday and not d.cancelled]
    out = []
    for w in windows:
        match = next(
            (
                d
                for d in decls
                if d.starts_at <= w.starts_at and (d.ends_at or w.ends_at) >= w.ends_at
            ),
            None,
        )
        out.append(
            {
                "key": w.key,
                "name": w.name,
                "name_zh": w.name_zh,
                "first_day": w.first_day.isoformat(),
                "last_day": w.last_day.isoformat(),
                "starts_at": iso(w.starts_at),
                "ends_at": iso(w.ends_at),
                "scheduled": match is not None,
                "declaration_id": str(match.id) if match else None,
            }
        )
    covered = sorted(center.reference.calendar.covered_years)
    return {"windows": out, "calendar_covers": [covered[0], covered[-1]] if covered else None}


async def confirm_holiday_window(
    center: Center, who: Principal, key: str, reason: str | None = None
) -> dict[str, Any]:
    """Schedule holiday mode (city-wide) for a proposed window: the holiday HQ confirms."""
    proposals = {w["key"]: w for w in holiday_windows(center)["windows"]}
    if key not in proposals:
        raise NotFound(f"no proposed holiday window {key!r}")
    w = proposals[key]
    req = SwitchRequest(
        ModeName.holiday,
        reason or f"{w['name_zh']}假日调度（法定节假日 {w['first_day']}至{w['last_day']}）",
        None,
        None,
        datetime.fromisoformat(w["starts_at"]),
        datetime.fromisoformat(w["ends_at"]),
    )
    return await switch(center, who, req)
