"""Geography: locating points, the duty catalogue and geofence versions."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from dispatch_center.api.schemas.common import Json, Number, Public, Timestamp


class PathStepPublic(Public):
    """One step of a tier path: city (1), county (2), township (3), village (4)."""

    tier: int = Field(examples=[2])
    code: str = Field(examples=["511102"])
    name: str = Field(examples=["市中区"])


class LocatePublic(Public):
    """Where a point is; outside Leshan also the nearest area, the distance to it
    (metres, 0.1 m) and the neighbouring city.
    """

    inside: bool
    path: list[PathStepPublic]
    nearest: PathStepPublic | None = None
    distance_m: Number | None = None
    neighbour: PathStepPublic | None = None


class LocateBatchPublic(Public):
    """One answer per point, in the order given."""

    results: list[LocatePublic]


class DutyRowPublic(Public):
    """One line of the duty catalogue in force (``*`` templates expanded)."""

    category_code: str
    tier: int
    area_code: str
    asset_layer: str
    unit_code: str
    unit_name: str
    role: str = Field(examples=["lead"])


class CataloguePublic(Public):
    """The duty catalogue (权责清单) in force."""

    version: str
    rows: list[DutyRowPublic]


class CatalogueVersionPublic(Public):
    """A stored catalogue version; ``rows`` (as stored) only when one version is asked for."""

    id: int
    version: str
    source: str
    note: str
    created_by: str
    created_at: Timestamp
    active: bool
    activated_by: str | None
    activated_at: Timestamp | None
    row_count: int
    rows: list[dict[str, Any]] | None = None


class CatalogueVersionList(Public):
    """Every catalogue version, newest first."""

    versions: list[CatalogueVersionPublic]


class GeofenceReportPublic(Public):
    """What an import found: repairs, overlaps, gaps, strays, and what refused it."""

    ok: bool
    count: int
    repaired: list[Json]
    overlaps: list[Json]
    gaps: list[Json]
    strays: list[Json]
    duplicates: list[Any]
    missing_parents: list[Any]
    errors: list[Any]
    tier: int
    source: str
    source_crs: str | None
    notes: list[Any]


class GeofenceVersionPublic(Public):
    """A stored geofence version (its ``report`` as stored with it)."""

    id: int
    tier: int
    source: str
    source_crs: str | None
    feature_count: int
    report: Json
    note: str
    created_by: str
    created_at: Timestamp
    active: bool
    activated_by: str | None
    activated_at: Timestamp | None


class GeofenceImportPublic(Public):
    """An accepted import: the validation report and the version now in use."""

    report: GeofenceReportPublic
    version: GeofenceVersionPublic


class GeofenceVersionList(Public):
    """Stored geofence versions, newest first, and the area version routing uses now."""

    versions: list[GeofenceVersionPublic]
    area_version: str


class GeofenceActivated(Public):
    """The version now in use and the area version routing uses from now on."""

    version: GeofenceVersionPublic | None = None
    area_version: str
