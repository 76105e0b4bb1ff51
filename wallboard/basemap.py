"""The base map, built with folium and served as a script file of our own.

folium writes the Leaflet code (map, tiles, the city outline, the 11 county boundaries
with their labels, the live orders' marker cluster). Its page template would inline that
code and load Leaflet, jQuery, Bootstrap and Font Awesome from CDNs; the
Content-Security-Policy allows neither. So only folium's script part is taken: the pages
serve it at ``/wallboard/map.js`` (:mod:`wallboard.pages`) after Leaflet and the marker
cluster, which come from the XStatic packages under ``/static/vendor``. Boundaries alone
must make a readable map, so the tile layer is there only when ``DISPATCH_TILE_URL`` is set.
"""

from __future__ import annotations

import hashlib
import html
import json

import folium
from branca.element import Figure
from folium.plugins import MarkerCluster

from dispatch_center.geography.model import Geography

CENTER = (29.45, 103.65)  # Leshan, between 市中区 and 峨边
ZOOM, MIN_ZOOM, MAX_ZOOM = 9, 7, 18
# Boundaries simplified to about 200 m: sharp at the wall's zoom, light on the wire.
SIMPLIFY_DEG = 0.002
#: The map's element id: the pages' ``<div>`` and folium's ``L.map(...)`` must agree.
MAP_ID = "map_dc"
# The cluster's own icon, sized like the wall's other glyphs by the --glyph factor that
# common.js sets (2 on a 4K wall): a fixed 40 px cluster would be half the size of the
# order markers around it.
CLUSTER_ICON = """function (group) {
  var g = parseFloat(getComputedStyle(document.documentElement).getPropertyValue("--glyph")) || 1;
  var n = group.getChildCount();
  var size = n < 10 ? "small" : n < 100 ? "medium" : "large";
  return L.divIcon({
    html: "<div><span>" + n + "</span></div>",
    className: "marker-cluster marker-cluster-" + size,
    iconSize: L.point(Math.round(40 * g), Math.round(40 * g))
  });
}"""


class BaseMap:
    """The base map's script and a version that changes when the script does.

    Parameters
    ----------
    script
        JavaScript that draws the map into ``#map_dc`` and sets ``window.DC_MAP`` to the
        handles the pages use: ``map``, ``cluster``, ``counties``, ``city``, ``labels``.
    """

    def __init__(self, script: str) -> None:
        self.script = script
        self.version = hashlib.sha256(script.encode()).hexdigest()[:12]


def build_map(
    geography: Geography,
    *,
    tile_url: str | None,
    tile_attribution: str,
    max_native_zoom: int | None = None,
) -> BaseMap:
    """Build the base map with folium and keep only its script.

    Examples
    --------
    >>> from dispatch_center.geography.model import default_geography
    >>> base = build_map(default_geography(), tile_url=None, tile_attribution="")
    >>> 'L.map(\\n                "map_dc"' in base.script, "window.DC_MAP" in base.script
    (True, True)
    >>> "cdn" in base.script, "<script" in base.script
    (False, False)
    """
    m = folium.Map(
        location=CENTER,
        zoom_start=ZOOM,
        # folium hands max_zoom to its tile layer; without tiles Leaflet needs it on the map.
        maxZoom=MAX_ZOOM,
        minZoom=MIN_ZOOM,
        tiles=None,
        control_scale=True,
        zoom_control=True,
        attribution_control=bool(tile_url),
    )
    m._id = MAP_ID.removeprefix("map_")  # folium names the element "map_" + _id
    if tile_url:
        # Deeper than the tiles go, Leaflet enlarges the deepest ones instead of going blank.
        folium.TileLayer(
            tiles=tile_url,
            attr=tile_attribution or "tiles",
            name="tiles",
            max_zoom=MAX_ZOOM,
            max_native_zoom=max_native_zoom,
        ).add_to(m)
    city = folium.GeoJson(
        json.loads(geography.areas_json(1, SIMPLIFY_DEG)),
        name="city",
        style_function=lambda f: {"color": "#5fb3ff", "weight": 4, "fill": False},
        interactive=False,
    )
    city.add_to(m)
    counties = folium.GeoJson(
        json.loads(geography.areas_json(2, SIMPLIFY_DEG)),
        name="counties",
        style_function=lambda f: {
            "color": "#7fa7d9",
            "weight": 2,
            "fillColor": "#1d3557",
            "fillOpacity": 0.35,
            "className": f"county county-{f['properties']['code']}",
        },
        highlight_function=lambda f: {"fillOpacity": 0.5},
    )
    counties.add_to(m)
    labels = folium.FeatureGroup(name="county_labels")
    for area in sorted(geography.index.areas(2), key=lambda a: a.code):
        p = area.geometry.representative_point()
        folium.Marker(
            (p.y, p.x),
            icon=folium.DivIcon(
                html=(
                    f'<div class="county-label" data-code="{html.escape(area.code)}">'
                    f"{html.escape(area.name)}</div>"
                ),
                class_name="county-label-icon",
                icon_size=(120, 30),
                icon_anchor=(60, 15),
            ),
            interactive=False,
        ).add_to(labels)
    labels.add_to(m)
    cluster = MarkerCluster(
        name="orders",
        options={"maxClusterRadius": 40, "chunkedLoading": True, "showCoverageOnHover": False},
        icon_create_function=CLUSTER_ICON,
    )
    cluster.add_to(m)
    root = m.get_root()
    assert isinstance(root, Figure)  # a Map's root is always its Figure
    root.render()  # fills the figure's header, html and script parts
    # Only the script: its header (CDN links, inline styles) and html (the div) are the
    # pages' own, written to match.
    script: str = root.script.render()
    handles = (
        f"window.DC_MAP = {{map: {m.get_name()}, cluster: {cluster.get_name()},"
        f" counties: {counties.get_name()}, city: {city.get_name()},"
        f" labels: {labels.get_name()}}};"
    )
    return BaseMap(f"{script}\n{handles}\n")
