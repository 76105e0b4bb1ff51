"""The base map's data: the view, the city outline, the 11 county boundaries with their
labels' positions and the optional tile layer.

The page carries it in a ``<script type="application/json">`` block and
``static/basemap.js`` (a file, so the Content-Security-Policy can forbid inline script)
draws it with Leaflet and the marker cluster, both served from the XStatic packages
under ``/static/vendor``: nothing is loaded from outside our server. Boundaries alone
must make a readable map, so the tile layer is there only when ``DISPATCH_TILE_URL`` is set.
"""

from __future__ import annotations

import json
from typing import Any

from dispatch_center.geography.model import Geography

CENTER = (29.45, 103.65)  # Leshan, between 市中区 and 峨边
ZOOM, MIN_ZOOM, MAX_ZOOM = 9, 7, 18
# Boundaries simplified to about 200 m: sharp at the wall's zoom, light on the wire.
SIMPLIFY_DEG = 0.002


def basemap_data(
    geography: Geography, *, tile_url: str | None, tile_attribution: str
) -> dict[str, Any]:
    """What ``basemap.js`` draws: view, tiles, city and county GeoJSON, county labels.

    Examples
    --------
    >>> from dispatch_center.geography.model import default_geography
    >>> data = basemap_data(default_geography(), tile_url=None, tile_attribution="")
    >>> data["tiles"], len(data["labels"]), data["labels"][0]["code"]
    (None, 11, '511102')
    """
    labels = []
    for area in sorted(geography.index.areas(2), key=lambda a: a.code):
        p = area.geometry.representative_point()
        labels.append({"code": area.code, "name": area.name, "lat": p.y, "lon": p.x})
    return {
        "center": list(CENTER),
        "zoom": ZOOM,
        "min_zoom": MIN_ZOOM,
        "max_zoom": MAX_ZOOM,
        "tiles": (
            {"url": tile_url, "attribution": tile_attribution or "tiles"} if tile_url else None
        ),
        "city": json.loads(geography.areas_json(1, SIMPLIFY_DEG)),
        "counties": json.loads(geography.areas_json(2, SIMPLIFY_DEG)),
        "labels": labels,
    }
