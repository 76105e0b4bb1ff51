"""The duty catalogue (权责清单): who is responsible for a category of request, where.

A catalogue is versioned data: rows of (category, tier, area, asset layer, unit, role). An order
keeps the version it was routed with. Resolution, for a category and a located point:

1. The category is matched exactly, then by its parents (``水利/防汛/河堤`` → ``水利/防汛`` →
   ``水利``), the first level with any row wins.
2. Area rows (no asset layer) are matched along the tier path; the lead (主办) is the lead row
   of the *deepest* tier that has one, co-handlers (协办) are every matching co row.
3. Asset rows override: when the point is on an asset (river corridor, scenic area, national
   road) and a row names that asset's code or kind, the asset's lead takes over, and the
   area's lead becomes a co-handler so the township still hears about it. Asset hits come in
   precedence order (scenic area, national road, river); a specific asset code beats a kind.
4. No lead anywhere → :class:`Unroutable` with the reason. The caller puts the order in the
   city center's manual-dispatch queue; nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from geo.areas import Area, PathStep, Tier
from geo.assets import AssetHit

__all__ = [
    "DutyCatalogue",
    "DutyRow",
    "Responsibility",
    "Unit",
    "Unroutable",
    "catalogue_from_rows",
]

Role = Literal["lead", "co"]


class Unroutable(Exception):
    """No responsible unit found; ``reason`` says why (shown in the manual-dispatch queue)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Unit:
    """A responsible unit: a department, a township or village government, a committee."""

    code: str
    name: str

    def as_dict(self) -> dict[str, str]:
        """JSON shape stored on an order's routing."""
        return {"code": self.code, "name": self.name}


@dataclass(frozen=True, slots=True)
class DutyRow:
    """One line of the catalogue.

    ``area_code`` is the area the row applies to (``None``: any area of that tier);
    ``asset_layer`` is an asset code or kind (``None``: an area row).
    """

    category_code: str
    tier: Tier
    area_code: str | None
    asset_layer: str | None
    unit_code: str
    unit_name: str
    role: Role

    def as_dict(self) -> dict[str, Any]:
        """CSV/JSON row."""
        return {
            "category_code": self.category_code,
            "tier": int(self.tier),
            "area_code": self.area_code or "",
            "asset_layer": self.asset_layer or "",
            "unit_code": self.unit_code,
            "unit_name": self.unit_name,
            "role": self.role,
        }


@dataclass(frozen=True, slots=True)
class Responsibility:
    """Who handles an order: one lead (主办), co-handlers (协办), and why."""

    lead: Unit
    co: tuple[Unit, ...]
    reason: str
    catalogue_version: str
    asset: AssetHit | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON shape stored on an order's routing."""
        return {
            "lead": self.lead.as_dict(),
            "co": [u.as_dict() for u in self.co],
            "reason": self.reason,
            "catalogue_version": self.catalogue_version,
            "asset": self.asset.as_dict() if self.asset else None,
        }


def _parents(category: str) -> list[str]:
    """``category`` and its ancestors, most specific first.

    Codes nest with ``.`` (the taxonomy: ``flood.waterlogging``) or ``/``.

    Examples
    --------
    >>> _parents("flood.waterlogging")
    ['flood.waterlogging', 'flood']
    """
    cuts = [i for i, ch in enumerate(category) if ch in "./"]
    return [category] + [category[:i] for i in reversed(cuts)]


class DutyCatalogue:
    """A versioned, immutable duty catalogue.

    Examples
    --------
    >>> cat = DutyCatalogue("v1", [
    ...     DutyRow("住房建设", Tier.COUNTY, "511102", None, "511102-ZJJ", "市中区住建局", "lead"),
    ... ])
    >>> path = (PathStep(Tier.CITY, "511100", "乐山市"), PathStep(Tier.COUNTY, "511102", "市中区"))
    >>> cat.resolve("住房建设", path, ()).lead.name
    '市中区住建局'
    """

    def __init__(self, version: str, rows: Iterable[DutyRow]) -> None:
        self.version = version
        self.rows: tuple[DutyRow, ...] = tuple(rows)
        seen: dict[tuple[str, Tier, str | None, str | None], str] = {}
        self._by_category: dict[str, list[DutyRow]] = {}
        # Lookups by (category, tier, area) and (category, asset): resolve runs on every
        # order creation and a catalogue expanded per township has thousands of rows.
        self._area_rows: dict[tuple[str, int, str | None], list[DutyRow]] = {}
        self._asset_rows: dict[tuple[str, str], list[DutyRow]] = {}
        for r in self.rows:
            if r.asset_layer is None:
                self._area_rows.setdefault((r.category_code, int(r.tier), r.area_code), []).append(
                    r
                )
            else:
                self._asset_rows.setdefault((r.category_code, r.asset_layer), []).append(r)
            if r.role not in ("lead", "co"):
                raise ValueError(f"role must be lead or co, got {r.role!r}")
            if r.role == "lead":
                key = (r.category_code, r.tier, r.area_code, r.asset_layer)
                if key in seen and seen[key] != r.unit_code:
                    raise ValueError(f"two leads for {key}: {seen[key]} and {r.unit_code}")
                seen[key] = r.unit_code
            self._by_category.setdefault(r.category_code, []).append(r)

    @property
    def categories(self) -> list[str]:
        """Category codes with at least one row, sorted."""
        return sorted(self._by_category)

    def replace(self, version: str, rows: Iterable[DutyRow]) -> DutyCatalogue:
        """A new version with these rows (catalogues are never edited in place)."""
        return DutyCatalogue(version, rows)

    def resolve(
        self,
        category: str,
        path: Sequence[PathStep],
        assets_hit: Sequence[AssetHit] = (),
    ) -> Responsibility:
        """The responsible units for ``category`` at a point with tier ``path``.

        Raises
        ------
        Unroutable
            When no row gives a lead; the reason names the category and place.

        Examples
        --------
        >>> cat = DutyCatalogue("v1", [])
        >>> try:
        ...     cat.resolve("不存在", (), ())
        ... except Unroutable as e:
        ...     print(e.reason)
        category '不存在' is not in duty catalogue v1
        """
        # Rows of the category and of every ancestor: the most specific level that names
        # a lead wins, co-handlers add up across levels. So "tourism.complaint" may add a
        # city co-handler while the lead still comes from "tourism".
        levels = [c for c in _parents(category) if c in self._by_category]
        if not levels:
            raise Unroutable(f"category {category!r} is not in duty catalogue {self.version}")
        rank = {c: i for i, c in enumerate(levels)}
        on_path = {(s.tier, s.code) for s in path}

        def area_match(r: DutyRow) -> bool:
            return r.area_code is None or (r.tier, r.area_code) in on_path

        area_rows = [
            r
            for c in levels
            for s in path
            for key in ((c, int(s.tier), s.code), (c, int(s.tier), None))
            for r in self._area_rows.get(key, ())
        ]
        leads = sorted(
            (r for r in area_rows if r.role == "lead"),
            key=lambda r: (rank[r.category_code], -int(r.tier), r.unit_code),
        )
        area_lead = Unit(leads[0].unit_code, leads[0].unit_name) if leads else None
        co = [Unit(r.unit_code, r.unit_name) for r in area_rows if r.role == "co"]
        place = " / ".join(s.name for s in path) or "no area (outside Leshan or no location)"
        matched_category = leads[0].category_code if leads else levels[0]

        for hit in assets_hit:
            asset_rows = [r for c in levels for r in self._asset_rows.get((c, hit.code), ())] or [
                r for c in levels for r in self._asset_rows.get((c, str(hit.kind)), ())
            ]
            asset_rows = [r for r in asset_rows if area_match(r)]
            asset_leads = sorted(
                (r for r in asset_rows if r.role == "lead"),
                key=lambda r: (rank[r.category_code], r.unit_code),
            )
            asset_co = [Unit(r.unit_code, r.unit_name) for r in asset_rows if r.role == "co"]
            if asset_leads:
                lead = Unit(asset_leads[0].unit_code, asset_leads[0].unit_name)
                extra = [area_lead] if area_lead else []
                return Responsibility(
                    lead,
                    _dedupe([*asset_co, *extra, *co], lead),
                    f"{asset_leads[0].category_code} on {hit.name} ({hit.kind}): asset owner "
                    f"leads, area unit assists; place {place}",
                    self.version,
                    hit,
                )
            co = [*co, *asset_co]
        if area_lead is None:
            raise Unroutable(
                f"no responsible unit for {category!r} at {place} in duty catalogue {self.version}"
            )
        tier_name = Tier(leads[0].tier).name.lower()
        return Responsibility(
            area_lead,
            _dedupe(co, area_lead),
            f"{matched_category} at {place}: {tier_name} duty row",
            self.version,
        )


def _dedupe(units: Iterable[Unit | None], lead: Unit) -> tuple[Unit, ...]:
    out: list[Unit] = []
    for u in units:
        if u is not None and u != lead and u not in out:
            out.append(u)
    return tuple(out)


def _expand(template: str, area: Area | None) -> str:
    if area is None:
        return template
    county_code = area.code[:6]
    return template.format(code=area.code, name=area.name, county=county_code)


def catalogue_from_rows(
    rows: Iterable[Mapping[str, str]], version: str, areas: Sequence[Area] = ()
) -> DutyCatalogue:
    """Build a catalogue from CSV-like rows, expanding per-area templates.

    Columns: ``category_code, tier, area_code, asset_layer, unit_code, unit_name, role``.
    ``area_code`` may be ``*``: the row is repeated for every area of that tier in ``areas``,
    with ``{code}`` and ``{name}`` in ``unit_code``/``unit_name`` replaced by the area's.
    Empty ``area_code`` means any area of that tier (the same unit for all).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> county = Area("511102", "市中区", Tier.COUNTY, "511100", box(0, 0, 1, 1))
    >>> row = {"category_code": "住房建设", "tier": "2", "area_code": "*", "asset_layer": "",
    ...        "unit_code": "{code}-ZJJ", "unit_name": "{name}住房和城乡建设局", "role": "lead"}
    >>> catalogue_from_rows([row], "v1", [county]).rows[0].unit_name
    '市中区住房和城乡建设局'
    """
    by_tier: dict[Tier, list[Area]] = {}
    for a in areas:
        by_tier.setdefault(a.tier, []).append(a)
    out: list[DutyRow] = []
    for raw in rows:
        tier = Tier(int(raw["tier"]))
        area_code = (raw.get("area_code") or "").strip()
        asset = (raw.get("asset_layer") or "").strip() or None
        role = raw["role"].strip()
        if role not in ("lead", "co"):
            raise ValueError(f"role must be lead or co, got {role!r}")
        targets: list[Area | None] = list(by_tier.get(tier, [])) if area_code == "*" else [None]
        for area in targets:
            out.append(
                DutyRow(
                    category_code=raw["category_code"].strip(),
                    tier=tier,
                    area_code=area.code if area else (area_code or None),
                    asset_layer=asset,
                    unit_code=_expand(raw["unit_code"].strip(), area),
                    unit_name=_expand(raw["unit_name"].strip(), area),
                    role=role,  # type: ignore[arg-type]
                )
            )
    return DutyCatalogue(version, out)
