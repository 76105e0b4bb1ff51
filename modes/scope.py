"""Which mode is in force where, and when: declarations, scopes and the schedule.

A :class:`Declaration` puts one county set (or the whole city) into holiday or
emergency mode from ``starts_at`` until ``ends_at`` (open-ended when ``None``).
"Normal" is not declared: it is what remains where nothing else is in force, and a
request to switch to normal *ends* the declarations it covers (see :func:`plan_switch`).

Everything here is evaluated from the declarations and a moment, so the answer is
right whether or not a scheduler has woken yet; the scheduler only performs the side
effects (history, change log, open orders) of each start and end, once.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from modes.policy import RANK, EmergencyType, ModeName


@dataclass(frozen=True)
class Declaration:
    """One declared mode over a scope and a time window.

    ``scope`` is a set of county adcodes, or ``None`` for the whole city.
    """

    id: int
    mode: ModeName
    emergency_type: EmergencyType | None
    scope: frozenset[str] | None
    starts_at: datetime
    ends_at: datetime | None
    declared_by: str
    reason: str
    cancelled: bool = False
    start_applied: bool = False
    end_applied: bool = False

    def in_force(self, now: datetime) -> bool:
        """Whether the declaration governs at ``now``.

        Examples
        --------
        >>> from datetime import timezone
        >>> t = datetime(2026, 11, 27, tzinfo=timezone.utc)
        >>> d = Declaration(1, ModeName.holiday, None, None, t, None, "holiday_hq", "节前")
        >>> d.in_force(t), d.in_force(t.replace(day=26))
        (True, False)
        """
        if self.cancelled or now < self.starts_at:
            return False
        return self.ends_at is None or now < self.ends_at

    def covers(self, county: str | None) -> bool:
        """Whether ``county`` lies in the scope (an unknown county only in a city-wide one)."""
        if self.scope is None:
            return True
        return county is not None and county in self.scope

    def counties(self, all_counties: Collection[str]) -> frozenset[str]:
        """The scope as an explicit county set."""
        return frozenset(all_counties) if self.scope is None else self.scope


@dataclass(frozen=True)
class ActiveMode:
    """The mode in force at one place: the governing declaration, if any."""

    mode: ModeName
    emergency_type: EmergencyType | None = None
    declaration: Declaration | None = None

    @property
    def key(self) -> tuple[str, str | None]:
        """(mode, emergency type): what changing means for open orders."""
        return self.mode.value, self.emergency_type.value if self.emergency_type else None


NORMAL = ActiveMode(ModeName.normal)


def _outranks(a: Declaration, b: Declaration) -> bool:
    # Higher mode first; between equals the newer declaration governs.
    return (RANK[a.mode], a.starts_at, a.id) > (RANK[b.mode], b.starts_at, b.id)


def effective_mode(
    county: str | None, declarations: Iterable[Declaration], now: datetime
) -> ActiveMode:
    """The mode in force in ``county`` (``None``: an order with no known county).

    Emergency outranks holiday outranks normal; among equals the newest declaration wins.

    Examples
    --------
    >>> from datetime import timezone
    >>> t = datetime(2026, 11, 27, tzinfo=timezone.utc)
    >>> city = Declaration(1, ModeName.holiday, None, None, t, None, "holiday_hq", "国庆")
    >>> flood = Declaration(2, ModeName.emergency, EmergencyType.flood, frozenset({"511111"}),
    ...                     t, None, "flood_hq", "暴雨")
    >>> effective_mode("511111", [city, flood], t).mode.value
    'emergency'
    >>> effective_mode("511102", [city, flood], t).mode.value
    'holiday'
    >>> effective_mode(None, [flood], t).mode.value
    'normal'
    """
    best: Declaration | None = None
    for d in declarations:
        if d.in_force(now) and d.covers(county) and (best is None or _outranks(d, best)):
            best = d
    if best is None:
        return NORMAL
    return ActiveMode(best.mode, best.emergency_type, best)


def mode_map(
    counties: Iterable[str], declarations: Iterable[Declaration], now: datetime
) -> dict[str | None, ActiveMode]:
    """The mode of every county, plus ``None`` for orders without a county."""
    decls = list(declarations)
    out: dict[str | None, ActiveMode] = {c: effective_mode(c, decls, now) for c in counties}
    out[None] = effective_mode(None, decls, now)
    return out


def headline(
    counties: Collection[str], declarations: Iterable[Declaration], now: datetime
) -> tuple[ActiveMode, list[str] | None]:
    """The highest mode in force anywhere and where (``None``: the whole city).

    Examples
    --------
    >>> from datetime import timezone
    >>> t = datetime(2026, 11, 27, tzinfo=timezone.utc)
    >>> flood = Declaration(2, ModeName.emergency, EmergencyType.flood,
    ...                     frozenset({"511111", "511132"}), t, None, "flood_hq", "暴雨")
    >>> top, where = headline(["511102", "511111", "511132"], [flood], t)
    >>> top.mode.value, where
    ('emergency', ['511111', '511132'])
    """
    per = mode_map(counties, declarations, now)
    top = max(per.values(), key=lambda a: (RANK[a.mode], _order_key(a.declaration)))
    if top.mode is ModeName.normal:
        return top, None
    where = sorted(c for c, a in per.items() if c is not None and a.mode is top.mode)
    return top, None if len(where) == len(counties) else where


def _order_key(d: Declaration | None) -> tuple[datetime, int] | tuple[()]:
    return (d.starts_at, d.id) if d is not None else ()


# -- the schedule ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    """A declaration starting or ending at ``at``."""

    at: datetime
    kind: Literal["start", "end"]
    declaration: Declaration


def due_transitions(declarations: Iterable[Declaration], now: datetime) -> list[Transition]:
    """Starts and ends whose time has come and whose effects are not applied yet.

    A window that passed entirely (the server was down) yields its start, then its end.

    Examples
    --------
    >>> from datetime import timedelta, timezone
    >>> t = datetime(2026, 11, 27, tzinfo=timezone.utc)
    >>> d = Declaration(1, ModeName.holiday, None, None, t, t + timedelta(hours=1), "h", "r")
    >>> [x.kind for x in due_transitions([d], t + timedelta(hours=2))]
    ['start', 'end']
    """
    out: list[Transition] = []
    for d in declarations:
        if d.cancelled:
            continue
        if not d.start_applied and d.starts_at <= now:
            out.append(Transition(d.starts_at, "start", d))
        if d.ends_at is not None and not d.end_applied and d.ends_at <= now:
            out.append(Transition(d.ends_at, "end", d))
    return sorted(out, key=lambda x: (x.at, x.kind == "start", x.declaration.id))


def next_transition(declarations: Iterable[Declaration], now: datetime) -> Transition | None:
    """The first start or end after ``now`` (what the scheduler waits for).

    Examples
    --------
    >>> from datetime import timedelta, timezone
    >>> t = datetime(2026, 11, 27, tzinfo=timezone.utc)
    >>> d = Declaration(1, ModeName.holiday, None, None, t + timedelta(hours=1), None, "h", "r")
    >>> next_transition([d], t).kind
    'start'
    """
    pending: list[Transition] = []
    for d in declarations:
        if d.cancelled:
            continue
        if d.starts_at > now:
            pending.append(Transition(d.starts_at, "start", d))
        if d.ends_at is not None and d.ends_at > now:
            pending.append(Transition(d.ends_at, "end", d))
    return min(pending, key=lambda x: (x.at, x.declaration.id), default=None)


# -- planning a switch -----------------------------------------------------------------------


@dataclass(frozen=True)
class SwitchRequest:
    """What a headquarters asks for. ``scope`` ``None`` is city-wide."""

    mode: ModeName
    reason: str
    emergency_type: EmergencyType | None = None
    scope: frozenset[str] | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


@dataclass(frozen=True)
class NewDeclaration:
    """A declaration to insert (``continues`` names the one whose remainder it carries)."""

    mode: ModeName
    emergency_type: EmergencyType | None
    scope: frozenset[str] | None
    starts_at: datetime
    ends_at: datetime | None
    reason: str
    continues: int | None = None


@dataclass(frozen=True)
class SwitchPlan:
    """What a switch does: declarations to add and existing ones to end at a moment."""

    at: datetime
    create: tuple[NewDeclaration, ...] = ()
    end: tuple[tuple[Declaration, datetime], ...] = ()

    @property
    def noop(self) -> bool:
        """Nothing changes: the request asked for what is already so."""
        return not self.create and not self.end


def plan_switch(
    request: SwitchRequest,
    declarations: Iterable[Declaration],
    now: datetime,
    all_counties: Collection[str],
    may_end: Callable[[Declaration], bool],
) -> SwitchPlan:
    """Turn a request into declarations to add and to end.

    * holiday/emergency: a new declaration; an identical one in force (same mode, type,
      scope and end) makes it a no-op, and a same-mode, same-type declaration over the
      same scope is replaced rather than stacked.
    * normal: every declaration in force at the start moment over the scope that the
      requester ``may_end`` ends then; one reaching beyond the scope ends there and
      continues over the counties left.

    Examples
    --------
    >>> from datetime import timezone
    >>> t = datetime(2026, 11, 27, tzinfo=timezone.utc)
    >>> flood = Declaration(2, ModeName.emergency, EmergencyType.flood,
    ...                     frozenset({"511111", "511132"}), t, None, "flood_hq", "暴雨")
    >>> plan = plan_switch(SwitchRequest(ModeName.normal, "退水", scope=frozenset({"511111"})),
    ...                    [flood], t, ["511111", "511132"], lambda d: True)
    >>> [sorted(n.scope or ()) for n in plan.create], [d.id for d, _ in plan.end]
    ([['511132']], [2])
    """
    at = max(request.starts_at or now, now)
    decls = [d for d in declarations if not d.cancelled]
    if request.mode is not ModeName.normal:
        same = [
            d
            for d in decls
            if d.mode is request.mode
            and d.emergency_type == request.emergency_type
            and d.scope == request.scope
            and (d.in_force(at) or d.starts_at == at)
        ]
        if any(d.ends_at == request.ends_at and d.starts_at <= at for d in same):
            return SwitchPlan(at)
        new = NewDeclaration(
            request.mode, request.emergency_type, request.scope, at, request.ends_at, request.reason
        )
        replaced = tuple((d, at) for d in same if d.in_force(at))
        return SwitchPlan(at, (new,), replaced)
    target = request.scope
    ends: list[tuple[Declaration, datetime]] = []
    create: list[NewDeclaration] = []
    for d in decls:
        if not d.in_force(at) or not may_end(d):
            continue
        covered = d.counties(all_counties)
        hit = covered if target is None else covered & target
        if not hit:
            continue
        ends.append((d, at))
        rest = covered - hit
        if rest:
            create.append(
                NewDeclaration(
                    d.mode, d.emergency_type, frozenset(rest), at, d.ends_at, d.reason, d.id
                )
            )
    return SwitchPlan(at, tuple(create), tuple(ends))


def describe_scope(scope: Collection[str] | None, names: Mapping[str, str] | None = None) -> str:
    """A scope in words, for notes and history.

    Examples
    --------
    >>> describe_scope(None), describe_scope(["511111"], {"511111": "沙湾区"})
    ('全市', '沙湾区')
    """
    if scope is None:
        return "全市"
    names = names or {}
    return "、".join(names.get(c, c) for c in sorted(scope))
