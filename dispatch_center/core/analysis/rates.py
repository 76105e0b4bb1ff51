"""Summed measures of a set of orders, the rates made from them, and changes against a
reference period.

Rate definitions (shared with the supervision issue), over the orders *received* in a
period and attributed to the unit they are assigned to (or the county they are in):

* response rate (响应率) = responded within ``respond_by`` / received
* resolution rate (办结率) = replied / due, where *due* = received, less orders that
  ended without a reply (merged, passed to 110), less open orders whose ``reply_by``
  has not come yet
* on-time rate (按时办结率) = replied by ``reply_by`` / replied
* satisfaction rate (满意率) = (satisfied + basically satisfied) / evaluated
* return rate (退单率) = orders ever returned (``request_return``) / dispatched
* reopen rate (重办率) = orders ever reopened / evaluated
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Measures:
    """Summed counts over a set of orders (what a rollup row holds).

    ``pending`` is the one live figure: open orders whose reply deadline has not come.
    """

    received: int = 0
    responded_in_time: int = 0
    replied: int = 0
    replied_on_time: int = 0
    excluded: int = 0
    evaluated: int = 0
    content: int = 0
    returned: int = 0
    reopened: int = 0
    dispatched: int = 0
    handle_seconds: int = 0
    pending: int = 0

    def __add__(self, other: Measures) -> Measures:
        return Measures(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    @classmethod
    def from_row(cls, row: Mapping[str, object]) -> Measures:
        """Measures from a row with (some of) the same keys; missing keys count 0."""
        return cls(**{f.name: int(row.get(f.name) or 0) for f in fields(cls)})  # type: ignore[call-overload]

    @property
    def due(self) -> int:
        """Orders whose reply is owed by now (see the module docstring)."""
        return max(self.received - self.excluded - self.pending, 0)


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


@dataclass(frozen=True)
class Rates:
    """The six rates of a unit and period; ``None`` when the denominator is 0."""

    response: float | None
    resolution: float | None
    on_time: float | None
    satisfaction: float | None
    return_: float | None
    reopen: float | None
    avg_handle_hours: float | None

    def as_dict(self) -> dict[str, float | None]:
        """Wire names (``return_rate`` etc.)."""
        return {
            "response_rate": self.response,
            "resolution_rate": self.resolution,
            "on_time_rate": self.on_time,
            "satisfaction_rate": self.satisfaction,
            "return_rate": self.return_,
            "reopen_rate": self.reopen,
            "avg_handle_hours": self.avg_handle_hours,
        }


def rates(m: Measures) -> Rates:
    """The six rates of summed measures, rounded to 4 places.

    Examples
    --------
    >>> r = rates(Measures(received=10, responded_in_time=9, replied=8, replied_on_time=6,
    ...                    evaluated=5, content=4, dispatched=8, returned=1, reopened=1,
    ...                    handle_seconds=8 * 3600))
    >>> (r.response, r.resolution, r.on_time, r.satisfaction, r.return_, r.reopen)
    (0.9, 0.8, 0.75, 0.8, 0.125, 0.2)
    """
    hours = round(m.handle_seconds / m.replied / 3600, 2) if m.replied else None
    return Rates(
        response=_ratio(m.responded_in_time, m.received),
        resolution=_ratio(m.replied, m.due),
        on_time=_ratio(m.replied_on_time, m.replied),
        satisfaction=_ratio(m.content, m.evaluated),
        return_=_ratio(m.returned, m.dispatched),
        reopen=_ratio(m.reopened, m.evaluated),
        avg_handle_hours=hours,
    )


@dataclass(frozen=True)
class Change:
    """A figure against a reference period."""

    current: int
    reference: int

    @property
    def delta(self) -> int:
        """Current − reference."""
        return self.current - self.reference

    @property
    def pct(self) -> float | None:
        """Relative change in percent, ``None`` against zero.

        Examples
        --------
        >>> Change(120, 100).pct
        20.0
        """
        return round(100 * self.delta / self.reference, 1) if self.reference else None

    def as_dict(self) -> dict[str, float | int | None]:
        """Wire form."""
        return {
            "current": self.current,
            "reference": self.reference,
            "delta": self.delta,
            "pct": self.pct,
        }
