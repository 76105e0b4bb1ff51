"""Administrative areas of the four tiers (一单到底、四级联动) and the steps of a tier path."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from shapely.geometry.base import BaseGeometry

__all__ = ["Area", "PathStep", "Tier"]


class Tier(IntEnum):
    """The four tiers an order travels through: city → county → township → village.

    Examples
    --------
    >>> Tier(2).name, int(Tier.VILLAGE)
    ('COUNTY', 4)
    """

    CITY = 1
    COUNTY = 2
    TOWNSHIP = 3
    VILLAGE = 4


@dataclass(frozen=True, slots=True)
class PathStep:
    """One step of a tier path, shaped ``{"tier": 1, "code": "511100", "name": "乐山市"}``.

    Examples
    --------
    >>> PathStep(Tier.CITY, "511100", "乐山市").as_dict()
    {'tier': 1, 'code': '511100', 'name': '乐山市'}
    """

    tier: Tier
    code: str
    name: str

    def as_dict(self) -> dict[str, Any]:
        """JSON shape used by ``GET /api/v1/geo/locate`` and an order's ``routing``."""
        return {"tier": int(self.tier), "code": self.code, "name": self.name}


@dataclass(frozen=True, eq=False, slots=True)
class Area:
    """An administrative area: a geofence with a code, a Chinese name and a parent.

    ``synthetic`` marks areas generated for the demo (tiers 3 and 4), which must never be
    presented as real boundaries. Geometry is in WGS-84 longitude/latitude.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> a = Area("511102", "市中区", Tier.COUNTY, "511100", box(103.6, 29.4, 103.9, 29.7))
    >>> a.step
    PathStep(tier=<Tier.COUNTY: 2>, code='511102', name='市中区')
    """

    code: str
    name: str
    tier: Tier
    parent_code: str | None
    geometry: BaseGeometry
    synthetic: bool = False

    @property
    def step(self) -> PathStep:
        """This area as a step of a tier path."""
        return PathStep(self.tier, self.code, self.name)
