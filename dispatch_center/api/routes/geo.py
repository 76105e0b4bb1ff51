"""Geography: locate, areas for the map, asset layers, the duty catalogue, the gazetteer."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from fastapi.responses import Response
from pydantic import Field

from dispatch_center.api.deps import AnyUser, CenterDep, WallOrUser
from dispatch_center.api.responses import PublicRouter
from dispatch_center.api.schemas.common import SIGNED_IN, errors
from dispatch_center.api.schemas.desk import PlaceList
from dispatch_center.api.schemas.geo import CataloguePublic, LocateBatchPublic, LocatePublic
from dispatch_center.desk import places as gazetteer
from dispatch_center.geography import locate as geo_api
from dispatch_center.models import Datum, Strict

router = PublicRouter(prefix="/api/v1/geo", tags=["geo"])


class Point(Strict):
    """One point of a batch."""

    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class LocateBatch(Strict):
    """Many points in one datum."""

    points: list[Point] = Field(max_length=geo_api.MAX_BATCH)
    crs: Datum = Datum.wgs84


@router.get("/locate", responses=errors(*SIGNED_IN, 422))
async def locate(
    center: CenterDep,
    who: AnyUser,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    crs: Datum = Datum.wgs84,
) -> LocatePublic:
    """The tier path city → county → township → village of a point; outside Leshan, the
    nearest area, the distance to it and the neighbouring city.
    """
    return LocatePublic.model_validate(geo_api.locate(center, lon, lat, crs))


@router.post("/locate/batch", responses=errors(*SIGNED_IN, 422))
async def locate_batch(center: CenterDep, who: AnyUser, body: LocateBatch) -> LocateBatchPublic:
    """Locate up to 10,000 points at once."""
    results = geo_api.locate_batch(center, [(p.lon, p.lat) for p in body.points], body.crs)
    return LocateBatchPublic.model_validate({"results": results})


GEOJSON = {"content": {"application/geo+json": {"schema": {"type": "object"}}}}


@router.get(
    "/areas",
    response_class=Response,
    responses={
        200: {**GEOJSON, "description": "A GeoJSON FeatureCollection"},
        **errors(*SIGNED_IN, 422),
    },
)
async def areas(
    center: CenterDep,
    who: WallOrUser,
    tier: Annotated[int, Query(ge=1, le=4)] = 2,
    simplify: Annotated[float, Query(ge=0, le=0.05)] = 0.002,
) -> Response:
    """One tier's areas as GeoJSON, simplified for the map (shared borders stay shared)."""
    body = center.geography.areas_json(tier, simplify)
    return Response(body, media_type="application/geo+json")


@router.get(
    "/assets",
    response_class=Response,
    responses={
        200: {**GEOJSON, "description": "A GeoJSON FeatureCollection"},
        **errors(*SIGNED_IN),
    },
)
async def assets(center: CenterDep, who: AnyUser) -> Response:
    """Asset layers that override the area answer (rivers, scenic areas, national roads)."""
    return Response(center.geography.assets_json, media_type="application/geo+json")


@router.get("/catalogue", responses=errors(*SIGNED_IN, 422))
async def catalogue(
    center: CenterDep, who: AnyUser, category: Annotated[str | None, Query(max_length=64)] = None
) -> CataloguePublic:
    """The duty catalogue (权责清单) in force, optionally for one category."""
    cat = center.geography.catalogue
    rows = [r.as_dict() for r in cat.rows if category is None or r.category_code == category]
    return CataloguePublic.model_validate({"version": cat.version, "rows": rows})


@router.get("/places", responses=errors(*SIGNED_IN, 422))
async def places(
    center: CenterDep,
    who: AnyUser,
    q: Annotated[str, Query(min_length=1, max_length=64)],
    limit: Annotated[int, Query(ge=1, le=gazetteer.MAX_RESULTS)] = 10,
) -> PlaceList:
    """Gazetteer places whose name contains ``q`` (points in WGS-84), best first: the name
    itself, then names starting with it, then containing it; counties, townships, streets
    and landmarks before villages, roads and grid cells.
    """
    return PlaceList.model_validate({"items": await gazetteer.search_places(center, q, limit)})
