"""Importing township and village geofences (tiers 3 and 4) as versions, and swapping
the geography the center routes with.

An import reads GeoJSON, Shapefile or GeoPackage, brings it to WGS-84, checks it
(:func:`geo.validate.validate_import`: repairs, overlaps, gaps, strays, duplicates) and,
only when nothing blocks it, stores it as a new version in one transaction and makes it
active. The running process then rebuilds its index eagerly and swaps
``center.geography`` whole; other workers hear ``{"kind": "geofences.changed"}`` on the
``reference`` channel and reload from the database. Orders keep the ``area_version``
they were routed with; rolling back is activating an older version.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

from dispatch_center.background import BackgroundLoop
from dispatch_center.bus.base import BusClosed, SubscriptionLost
from dispatch_center.center import Center
from dispatch_center.errors import Invalid, NotFound
from dispatch_center.geography.bundled import CATALOGUE_VERSION
from dispatch_center.geography.model import (
    Geography,
    StoredTier,
    bundled_catalogue_rows,
    geography_from_versions,
)
from dispatch_center.store import geofences as store
from dispatch_center.store import reference
from geo.areas import Area, Tier
from geo.catalogue import catalogue_from_rows
from geo.datum import gcj02_to_wgs84_many
from geo.validate import ValidationReport, candidates_from_frame, validate_import

log = logging.getLogger(__name__)

REFERENCE_CHANNEL = "reference"
CHANGED_KINDS = frozenset({"geofences.changed", "catalogue.changed"})
UPLOAD_SUFFIXES = (".geojson", ".json", ".zip", ".gpkg")
_READABLE = (".geojson", ".json", ".shp", ".gpkg")
STAGES = ("read", "datum", "check", "index", "store", "apply")

#: Called with the name of each stage as an import reaches it (the CLI draws a bar).
Progress = Callable[[str], None]


@dataclass(frozen=True)
class ImportSpec:
    """How to read one file: which tier, which fields, which layer and datum."""

    tier: int
    code_field: str
    name_field: str
    parent_field: str
    layer: str | None = None
    crs: str | None = None  # e.g. "EPSG:4547"; overrides what the file declares
    datum: str | None = None  # "gcj02" for a file in Amap/Chinese-web-map coordinates
    note: str = ""


@dataclass(frozen=True)
class ImportOutcome:
    """The validation report and, unless refused, the stored version."""

    report: dict[str, Any]
    version: dict[str, Any] | None

    @property
    def ok(self) -> bool:
        """True when the import was stored."""
        return self.version is not None


# --- reading and checking a file (synchronous: run in a thread) ---------------------------


def _gcj02_to_wgs84(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    lon, lat = gcj02_to_wgs84_many(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def _code(v: Any) -> Any:
    """Codes read as numbers (shapefile DBF) back to the digits people wrote."""
    if isinstance(v, float) and math.isfinite(v) and v.is_integer():
        return str(int(v))
    return v


def read_frame(path: Path, spec: ImportSpec) -> tuple[Any, str]:
    """Read ``path`` into a GeoDataFrame in WGS-84; also say what datum it came in.

    Raises
    ------
    Invalid
        Unreadable file, missing fields, no CRS declared, or a projected GCJ-02 file.
    """
    import geopandas

    try:
        frame = geopandas.read_file(path, layer=spec.layer, engine="pyogrio")
    except Exception as exc:  # any reader failure is the file's fault, never a 500
        raise Invalid(f"cannot read {path.name}: {exc}", fields={"file": str(exc)}) from exc
    missing = [
        f for f in (spec.code_field, spec.name_field, spec.parent_field) if f not in frame.columns
    ]
    if missing:
        fields = ", ".join(c for c in frame.columns if c != "geometry")
        raise Invalid(
            f"{path.name} has no field {', '.join(missing)}; its fields are: {fields}",
            fields={"fields": f"missing {', '.join(missing)}"},
        )
    frame = frame[frame.geometry.notna()].copy()
    for f in (spec.code_field, spec.parent_field):
        frame[f] = [_code(v) for v in frame[f]]
    frame = frame.set_geometry(
        shapely.force_2d(np.asarray(frame.geometry.values, dtype=object)), crs=frame.crs
    )
    if spec.datum == "gcj02":
        if frame.crs is not None and not frame.crs.is_geographic:
            raise Invalid(
                f"{path.name} declares projected {frame.crs.to_string()}, but GCJ-02 is lon/lat",
                fields={"datum": "gcj02 needs lon/lat coordinates"},
            )
        converted = shapely.transform(
            np.asarray(frame.geometry.values, dtype=object), _gcj02_to_wgs84
        )
        return frame.set_geometry(converted, crs="EPSG:4326"), "gcj02"
    if spec.crs:
        frame = frame.set_crs(spec.crs, allow_override=True)
    elif frame.crs is None:
        raise Invalid(
            f"{path.name} declares no coordinate system: pass --crs EPSG:xxxx (or --datum gcj02)",
            fields={"crs": "required: the file declares none"},
        )
    declared = str(frame.crs.to_string())
    return frame.to_crs("EPSG:4326"), declared


def check_frame(
    frame: Any, spec: ImportSpec, geography: Geography
) -> tuple[ValidationReport, tuple[Area, ...]]:
    """Validate the features against the areas one tier up, in the geography in use."""
    tier = Tier(spec.tier)
    parents = {a.code: a.geometry for a in geography.index.areas(tier - 1)}
    candidates = candidates_from_frame(frame, spec.code_field, spec.name_field, spec.parent_field)
    check = validate_import(candidates, tier, parents)
    # Codes of the tiers above must stay unique in the index (and in the units table).
    above = {a.code for t in Tier if t < tier for a in geography.index.areas(t)}
    clashes = sorted({c.code for c in candidates} & above)
    errors = [f"{code}: code already used by an area of a higher tier" for code in clashes]
    if not candidates:
        errors.append("the file has no features with geometry")
    report = check.report
    if errors:
        report = replace(report, errors=(*report.errors, *errors))
        return report, ()
    return report, check.areas


def _report_dict(
    report: ValidationReport, spec: ImportSpec, source: str, declared: str | None, notes: list[str]
) -> dict[str, Any]:
    out = report.as_dict()
    out.update(tier=spec.tier, source=source, source_crs=declared, notes=notes)
    return out


# --- the import itself -------------------------------------------------------------------


def _stored(version_id: int, areas: tuple[Area, ...]) -> StoredTier:
    return StoredTier(version_id, areas)


async def _active_tiers(center: Center) -> tuple[dict[int, StoredTier], dict[str, Any] | None]:
    async with center.db.connection() as conn:
        active = await store.active_geofence_versions(conn)
        tiers: dict[int, StoredTier] = {}
        for tier, row in active.items():
            rows = await store.geofence_areas(conn, int(row["id"]))
            tiers[tier] = _stored(int(row["id"]), areas_from_rows(rows, Tier(tier)))
        catalogue = await store.active_catalogue(conn)
    return tiers, catalogue


def areas_from_rows(rows: list[dict[str, Any]], tier: Tier) -> tuple[Area, ...]:
    """Stored areas (WKB geometry) back into :class:`geo.areas.Area`."""
    geoms = shapely.from_wkb([bytes(r["geometry"]) for r in rows])
    return tuple(
        Area(r["code"], r["name"], tier, r["parent_code"], g)
        for r, g in zip(rows, geoms, strict=True)
    )


def _catalogue_args(row: dict[str, Any] | None) -> tuple[list[dict[str, str]] | None, str | None]:
    if row is None:
        return None, None
    return list(row["rows"]), str(row["version"])


async def import_geofences(
    center: Center,
    path: Path,
    spec: ImportSpec,
    actor: str,
    *,
    source: str | None = None,
    progress: Progress | None = None,
    activate: bool = True,
) -> ImportOutcome:
    """Read, check and (when nothing blocks it) store one file as a new version.

    Refused imports (duplicate codes, unknown parents, unusable geometry) store nothing
    and return ``version=None`` with the report. A stored version becomes active at once
    unless ``activate`` is false, and the center's geography is rebuilt and swapped.

    Examples
    --------
    >>> spec = ImportSpec(3, "code", "name", "county")
    >>> await import_geofences(center, Path("townships.geojson"), spec, "admin")  # doctest: +SKIP
    """
    tick = progress or (lambda stage: None)
    if spec.tier not in (3, 4):
        raise Invalid(
            "only tiers 3 (townships) and 4 (villages) are imported",
            fields={"tier": str(spec.tier)},
        )
    if spec.datum not in (None, "wgs84", "gcj02"):
        raise Invalid(f"unknown datum {spec.datum!r}", fields={"datum": "wgs84 or gcj02"})
    source = source or path.name
    tick("read")
    frame, declared = await asyncio.to_thread(read_frame, path, spec)
    tick("datum")
    tick("check")
    geography = center.geography
    report, areas = await asyncio.to_thread(check_frame, frame, spec, geography)
    notes: list[str] = []
    if not report.ok:
        return ImportOutcome(_report_dict(report, spec, source, declared, notes), None)

    # Build the new index before anything is stored: a version that cannot be indexed
    # must never become active.
    tick("index")
    tiers, catalogue = await _active_tiers(center)
    if activate:
        tiers[spec.tier] = _stored(0, areas)
    rows, label = _catalogue_args(catalogue)
    candidate = await asyncio.to_thread(
        geography_from_versions, tiers.get(3), tiers.get(4), rows, label
    )
    if spec.tier == 3 and 4 in tiers and "t4.synthetic" in candidate.area_version:
        notes.append(
            f"the active tier-4 version {tiers[4].version_id} has villages whose township is not"
            " in this import: the synthetic village grid is used until villages are re-imported"
        )
    tick("store")
    wkb = shapely.to_wkb(np.asarray([a.geometry for a in areas], dtype=object))
    async with center.db.connection() as conn:
        version = await store.insert_geofence_version(
            conn,
            tier=spec.tier,
            source=source,
            source_crs=declared,
            report=_report_dict(report, spec, source, declared, notes),
            note=spec.note,
            actor=actor,
            areas=[
                (a.code, a.name, a.parent_code, bytes(w)) for a, w in zip(areas, wkb, strict=True)
            ],
            activate=activate,
        )
    tick("apply")
    if activate:
        # The candidate was built with a placeholder id; reload picks the stored ids.
        await reload_geography(center)
        await announce(center, "geofences.changed")
    return ImportOutcome(_report_dict(report, spec, source, declared, notes), version_view(version))


def _safe_extract(archive: zipfile.ZipFile, target: Path) -> None:
    for member in archive.namelist():
        p = PurePosixPath(member)
        if p.is_absolute() or ".." in p.parts:
            raise Invalid(f"unsafe path in archive: {member}", fields={"file": member})
    archive.extractall(target)


def _pick(folder: Path, layer_hint: str | None) -> Path:
    found = sorted(p for p in folder.rglob("*") if p.suffix.lower() in _READABLE and p.is_file())
    if not found:
        raise Invalid(
            "the archive holds no .shp, .gpkg or .geojson file", fields={"file": "nothing readable"}
        )
    shp = [p for p in found if p.suffix.lower() == ".shp"]
    if layer_hint:
        named = [p for p in found if p.stem == layer_hint]
        if named:
            return named[0]
    return (shp or found)[0]


async def import_upload(
    center: Center, filename: str, data: bytes, spec: ImportSpec, actor: str
) -> ImportOutcome:
    """Import an uploaded GeoJSON, GeoPackage or zipped shapefile/GeoPackage."""
    suffix = Path(filename or "").suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise Invalid(
            f"upload a GeoJSON, a GeoPackage or a .zip of a shapefile/GeoPackage, not {filename!r}",
            fields={"file": f"suffix must be one of {', '.join(UPLOAD_SUFFIXES)}"},
        )
    with tempfile.TemporaryDirectory(prefix="dc-geofences-") as tmp:
        folder = Path(tmp)
        target = folder / f"upload{suffix}"
        target.write_bytes(data)
        if suffix == ".zip":
            try:
                with zipfile.ZipFile(target) as archive:
                    _safe_extract(archive, folder / "unzipped")
            except zipfile.BadZipFile as exc:
                raise Invalid(f"not a zip archive: {exc}", fields={"file": "bad zip"}) from exc
            target = _pick(folder / "unzipped", spec.layer)
            spec = replace(spec, layer=None) if target.suffix.lower() == ".shp" else spec
        return await import_geofences(center, target, spec, actor, source=filename)


# --- versions and rollback -----------------------------------------------------------------


def version_view(row: dict[str, Any]) -> dict[str, Any]:
    """A stored geofence version as the API shows it (times in ISO 8601)."""
    out = dict(row)
    for key in ("created_at", "activated_at"):
        if out.get(key) is not None:
            out[key] = out[key].isoformat()
    return out


async def list_versions(center: Center, tier: int | None = None) -> list[dict[str, Any]]:
    """Every stored geofence version, newest first, with which one is active per tier."""
    async with center.db.connection() as conn:
        rows = await store.list_geofence_versions(conn, tier)
    return [version_view(r) for r in rows]


async def activate_version(center: Center, version_id: int, actor: str) -> dict[str, Any]:
    """Make an older (or newer) version active again: the rollback."""
    async with center.db.connection() as conn:
        row = await store.activate_geofence_version(conn, version_id, actor)
    if row is None:
        raise NotFound(f"no geofence version {version_id}", fields={"version": str(version_id)})
    await reload_geography(center)
    await announce(center, "geofences.changed")
    return version_view(row)


async def deactivate_tier(center: Center, tier: int) -> int:
    """Stop using imported areas for ``tier``: the synthetic grid is used again."""
    async with center.db.connection() as conn:
        n = await store.deactivate_geofences(conn, tier)
    await reload_geography(center)
    await announce(center, "geofences.changed")
    return n


# --- keeping every worker's geography current -----------------------------------------------


async def install_geography(center: Center, geography: Geography) -> None:
    """Swap the geography: units first (new townships, departments), then the index."""
    units = geography.units()
    async with center.db.connection() as conn:
        await reference.bulk_upsert_units(conn, units)
    center.geography = geography
    await center.reload_reference()


_reload_locks: dict[int, asyncio.Lock] = {}


async def reload_geography(center: Center, *, force: bool = False) -> bool:
    """Rebuild from the active versions when they differ from what is loaded.

    Cheap when nothing changed (one query), so it also serves as a periodic check.
    Returns True when the geography was swapped.
    """
    lock = _reload_locks.setdefault(id(center), asyncio.Lock())
    async with lock:
        async with center.db.connection() as conn:
            key = await store.active_key(conn)
        current = center.geography
        if not force and current.loaded_from == key:
            return False
        tiers, catalogue = await _active_tiers(center)
        rows, label = _catalogue_args(catalogue)
        key = (
            tiers[3].version_id if 3 in tiers else None,
            tiers[4].version_id if 4 in tiers else None,
            label,
        )
        if (
            not force
            and current.loaded_from[:2] == key[:2]
            and rows is not None
            and label is not None
        ):
            # Only the catalogue changed: keep the index, expand the new rows over it.
            cat = await asyncio.to_thread(catalogue_from_rows, rows, label, current.index.areas())
            geography = replace(current, catalogue=cat, loaded_from=key)
        else:
            geography = await asyncio.to_thread(
                geography_from_versions, tiers.get(3), tiers.get(4), rows, label, key
            )
        await install_geography(center, geography)
    log.info("geography now %s, catalogue %s", geography.area_version, geography.catalogue.version)
    return True


async def announce(center: Center, kind: str) -> None:
    """Tell the other workers the geography changed (they reload from the database)."""
    try:
        await center.bus.publish(REFERENCE_CHANNEL, {"kind": kind})
    except Exception as exc:  # committed already; other workers reload on their next resync
        log.warning("publish of %s failed: %s", kind, exc)


class GeographyFollower(BackgroundLoop):
    """Reload the geography whenever another worker announces a change.

    A lost subscription may have missed an announcement, so it reloads anyway before
    subscribing again; and every ``poll_s`` seconds of silence it checks the active versions
    (one query), which also catches a CLI import made while the bus was in-process. Ends
    when the bus closes.
    """

    name = "geography follower"

    def __init__(self, center: Center, *, poll_s: float = 30.0, retry_s: float = 1.0) -> None:
        super().__init__()
        self.center = center
        self.poll_s = poll_s
        # A dead listener leaves stale routing: retry soon.
        self.retry_after = retry_s

    async def step(self) -> float | None:
        """Follow the announcements until the subscription is lost (then resubscribe)."""
        try:
            async with self.center.bus.subscribe(REFERENCE_CHANNEL) as sub:
                while True:
                    message = await sub.get(timeout=self.poll_s)
                    if message is None or message.get("kind") in CHANGED_KINDS:
                        await reload_geography(self.center)
        except SubscriptionLost:
            log.warning("reference subscription lost: reloading the geography")
            with contextlib.suppress(Exception):
                await reload_geography(self.center)
            return 0.0
        except BusClosed:
            return None


async def load_active_geography(center: Center) -> Geography:
    """At start-up: seed the bundled duty catalogue as the first version if there is none,
    then route with whatever versions are active.
    """
    async with center.db.connection() as conn:
        if await store.catalogue_count(conn) == 0:
            await store.insert_catalogue_version(
                conn,
                version=CATALOGUE_VERSION,
                rows=bundled_catalogue_rows(),
                source="bundled geo/data/duty_catalogue.csv",
                note="seeded at first start",
                actor="system",
                activate=True,
            )
    await reload_geography(center)
    return center.geography
