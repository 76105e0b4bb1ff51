"""The modes a process holds in memory: the policies in force and the declarations.

One immutable :class:`ModeState` per moment; the services build a new one after a
switch or a reload and swap it in, so a request never sees half an update.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dispatch_center.core.deadlines import Urgency
from modes.policy import ModeDecision, ModeName, ModePolicy, OrderContext, default_policy
from modes.scope import ActiveMode, Declaration, effective_mode, headline, mode_map
from modes.triggers import LESHAN_COUNTIES


def _defaults() -> Mapping[ModeName, ModePolicy]:
    return {m: default_policy(m) for m in ModeName}


@dataclass(frozen=True)
class ModeState:
    """Policies per mode plus every declaration not long over."""

    policies: Mapping[ModeName, ModePolicy] = field(default_factory=_defaults)
    declarations: tuple[Declaration, ...] = ()
    counties: tuple[str, ...] = tuple(sorted(LESHAN_COUNTIES))
    #: The counties' names for views (``scope_label``), from the center's geography.
    county_names: Mapping[str, str] = field(default_factory=dict)
    version: int = 0  # newest mode-history id this state reflects

    def active(self, county: str | None, now: datetime) -> ActiveMode:
        """The mode in force in ``county`` at ``now``.

        Examples
        --------
        >>> from datetime import timezone
        >>> ModeState().active("511111", datetime(2026, 11, 27, tzinfo=timezone.utc)).mode.value
        'normal'
        """
        return effective_mode(county, self.declarations, now)

    def policy(self, mode: ModeName | ActiveMode) -> ModePolicy:
        """The policy of a mode."""
        name = mode.mode if isinstance(mode, ActiveMode) else mode
        return self.policies[name]

    def decide(
        self,
        urgency: Urgency,
        category: str | None,
        routing: Mapping[str, Any] | None,
        now: datetime,
    ) -> tuple[ActiveMode, ModePolicy, ModeDecision]:
        """Mode in force where the order is, its policy, and what it decides for the order.

        Examples
        --------
        >>> from datetime import timezone
        >>> t = datetime(2026, 11, 27, tzinfo=timezone.utc)
        >>> active, policy, d = ModeState().decide(Urgency.general, "flood.waterlogging", None, t)
        >>> active.mode.value, d.urgency.value
        ('normal', 'general')
        """
        ctx = OrderContext.from_routing(routing)
        active = self.active(ctx.county, now)
        policy = self.policy(active)
        return active, policy, policy.decide(urgency, category, ctx, active.emergency_type)

    def per_county(self, now: datetime) -> dict[str | None, ActiveMode]:
        """Every county's mode (and ``None``: orders without a county)."""
        return mode_map(self.counties, self.declarations, now)

    def headline(self, now: datetime) -> tuple[ActiveMode, list[str] | None]:
        """The highest mode in force anywhere, and where."""
        return headline(self.counties, self.declarations, now)
