"""Versioned geography: geofence imports (tiers 3 and 4) and the duty catalogue.

Admin-only writes; admins and auditors may list versions.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import Depends, File, Form, Path, Query, Request, UploadFile
from pydantic import Field

from dispatch_center.accounts.security import Principal
from dispatch_center.api.deps import Admin, CenterDep, require
from dispatch_center.api.responses import PublicRouter
from dispatch_center.api.schemas.common import SIGNED_IN, errors
from dispatch_center.api.schemas.geo import (
    CatalogueVersionList,
    CatalogueVersionPublic,
    GeofenceActivated,
    GeofenceImportPublic,
    GeofenceVersionList,
)
from dispatch_center.core.roles import Role
from dispatch_center.errors import Invalid
from dispatch_center.geography import catalogue as catalogues
from dispatch_center.geography import geofences
from dispatch_center.models import NoNul, Strict

router = PublicRouter(prefix="/api/v1/geo", tags=["geo"])

AdminOrAuditor = Annotated[Principal, Depends(require(Role.admin, Role.auditor))]
VersionLabel = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")]


@router.post("/geofences/import", status_code=201, responses=errors(*SIGNED_IN, 413, 422))
async def import_geofences(
    center: CenterDep,
    who: Admin,
    file: Annotated[
        UploadFile, File(description="GeoJSON, GeoPackage, or a .zip of either or a shapefile")
    ],
    tier: Annotated[int, Form(ge=3, le=4)],
    code_field: Annotated[str, Form(min_length=1, max_length=64), NoNul],
    name_field: Annotated[str, Form(min_length=1, max_length=64), NoNul],
    parent_field: Annotated[str, Form(min_length=1, max_length=64), NoNul],
    layer: Annotated[str | None, Form(max_length=128), NoNul] = None,
    crs: Annotated[str | None, Form(max_length=32, pattern=r"^(EPSG|epsg):\d{4,6}$")] = None,
    datum: Annotated[Literal["wgs84", "gcj02"] | None, Form()] = None,
    note: Annotated[str, Form(max_length=500), NoNul] = "",
) -> GeofenceImportPublic:
    """Import township (3) or village (4) areas as a new version, active at once.

    Returns the validation report (repairs, overlaps, gaps, strays) with the stored
    version; a refused import (duplicate codes, unknown parents, unusable geometry) is
    422 with the same report and stores nothing.
    """
    spec = geofences.ImportSpec(
        tier, code_field, name_field, parent_field, layer or None, crs or None, datum, note
    )
    data = await file.read()
    outcome = await geofences.import_upload(center, file.filename or "", data, spec, who.username)
    if not outcome.ok:
        problems = (
            outcome.report["duplicates"]
            + outcome.report["missing_parents"]
            + outcome.report["errors"]
        )
        raise Invalid(
            f"import refused: {'; '.join(map(str, problems[:5]))}",
            fields={"file": "refused; see report"},
            report=outcome.report,
        )
    return GeofenceImportPublic.model_validate(
        {"report": outcome.report, "version": outcome.version}
    )


@router.get("/geofences/versions", responses=errors(*SIGNED_IN, 422))
async def geofence_versions(
    center: CenterDep, who: AdminOrAuditor, tier: Annotated[int | None, Query(ge=3, le=4)] = None
) -> GeofenceVersionList:
    """Stored geofence versions, newest first; ``active`` marks the one in use per tier."""
    return GeofenceVersionList.model_validate(
        {
            "versions": await geofences.list_versions(center, tier),
            "area_version": center.geography.area_version,
        }
    )


@router.post("/geofences/versions/{version_id}/activate", responses=errors(*SIGNED_IN, 404, 422))
async def activate_geofences(
    center: CenterDep, who: Admin, version_id: Annotated[int, Path(ge=1, le=2**62)]
) -> GeofenceActivated:
    """Route with this version from now on (rollback); orders keep theirs."""
    version = await geofences.activate_version(center, version_id, who.username)
    return GeofenceActivated.model_validate(
        {"version": version, "area_version": center.geography.area_version}
    )


@router.post("/geofences/tiers/{tier}/synthetic", responses=errors(*SIGNED_IN, 422))
async def use_synthetic(
    center: CenterDep, who: Admin, tier: Annotated[int, Path(ge=3, le=4)]
) -> GeofenceActivated:
    """Stop using imported areas for a tier: the synthetic grid is used again."""
    await geofences.deactivate_tier(center, tier)
    return GeofenceActivated.model_validate({"area_version": center.geography.area_version})


class CatalogueRows(Strict):
    """A whole catalogue as JSON rows."""

    rows: list[dict[str, Any]] = Field(max_length=catalogues.MAX_ROWS)
    version: str | None = Field(default=None, max_length=64)
    note: str = Field(default="", max_length=500)


class CatalogueChange(Strict):
    """One change: ``add`` a row, ``remove`` matching rows, ``update`` matching rows."""

    op: Literal["add", "remove", "update"]
    row: dict[str, Any] | None = None
    match: dict[str, Any] | None = None
    set: dict[str, Any] | None = None


class CatalogueEdit(Strict):
    """A new version from the catalogue in force plus changes."""

    changes: list[CatalogueChange] = Field(min_length=1, max_length=1000)
    version: str | None = Field(default=None, max_length=64)
    note: str = Field(default="", max_length=500)


@router.post("/catalogue", status_code=201, responses=errors(*SIGNED_IN, 409, 413, 422))
async def import_catalogue(
    center: CenterDep,
    who: Admin,
    request: Request,
    version: Annotated[str | None, Query(max_length=64)] = None,
    note: Annotated[str, Query(max_length=500)] = "",
) -> CatalogueVersionPublic:
    """A new catalogue version from a CSV body (``text/csv``) or JSON ``{"rows": [...]}``;
    it is in force at once. Bad rows are 422 naming the row and column.
    """
    body = await request.body()
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in ("text/csv", "text/plain", "application/csv"):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Invalid("CSV must be UTF-8", fields={"body": str(exc)}) from exc
        rows = catalogues.parse_csv(text)
        return CatalogueVersionPublic.model_validate(
            await catalogues.import_catalogue(
                center, rows, who.username, version=version, source="csv", note=note
            )
        )
    try:
        parsed = CatalogueRows.model_validate(json.loads(body or b"null"))
    except ValueError as exc:
        raise Invalid(
            'send text/csv, or JSON {"rows": [...], "version", "note"}',
            fields={"body": str(exc)[:300]},
        ) from exc
    return CatalogueVersionPublic.model_validate(
        await catalogues.import_catalogue(
            center,
            parsed.rows,
            who.username,
            version=parsed.version or version,
            source="json",
            note=parsed.note or note,
        )
    )


@router.post("/catalogue/edits", status_code=201, responses=errors(*SIGNED_IN, 409, 422))
async def edit_catalogue(
    center: CenterDep, who: Admin, body: CatalogueEdit
) -> CatalogueVersionPublic:
    """A new catalogue version: the one in force with these row changes."""
    changes = [c.model_dump(exclude_none=True) for c in body.changes]
    return CatalogueVersionPublic.model_validate(
        await catalogues.edit_catalogue(
            center, changes, who.username, version=body.version, note=body.note
        )
    )


@router.get("/catalogue/versions", responses=errors(*SIGNED_IN))
async def catalogue_versions(center: CenterDep, who: AdminOrAuditor) -> CatalogueVersionList:
    """Every catalogue version, newest first; ``active`` marks the one in force."""
    return CatalogueVersionList.model_validate(
        {"versions": await catalogues.list_catalogues(center)}
    )


@router.get("/catalogue/versions/{version}", responses=errors(*SIGNED_IN, 404, 422))
async def catalogue_version(
    center: CenterDep, who: AdminOrAuditor, version: VersionLabel
) -> CatalogueVersionPublic:
    """One catalogue version with its rows as stored (``*`` templates unexpanded)."""
    return CatalogueVersionPublic.model_validate(await catalogues.get_catalogue(center, version))


@router.post("/catalogue/versions/{version}/activate", responses=errors(*SIGNED_IN, 404, 422))
async def activate_catalogue(
    center: CenterDep, who: Admin, version: VersionLabel
) -> CatalogueVersionPublic:
    """Put a stored catalogue version back in force (rollback)."""
    return CatalogueVersionPublic.model_validate(
        await catalogues.activate_catalogue(center, version, who.username)
    )
