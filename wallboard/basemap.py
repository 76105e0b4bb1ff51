"""The base map, generated with folium but loading nothing from outside our server.

folium's template points at CDNs (Leaflet, jQuery, Bootstrap, Font Awesome, awesome
markers). The wall needs only Leaflet and the marker cluster, which we serve from the
XStatic packages under ``/static/vendor``; the rest is dropped. Boundaries alone must
make a readable map, so the tile layer is added only when ``DISPATCH_TILE_URL`` is set.
"""

from __future__ import annotations

import json
from typing import Any

import folium
from folium.plugins import MarkerCluster

from dispatch_center.geography.model import Geography

LEAFLET = "/static/vendor/leaflet"
CLUSTER = "/static/vendor/leaflet.markercluster"
# The cluster's own icon, sized like the wall's other glyphs by the --glyph factor that
# common.js sets (2 on a 4K wall): a fixed 40 px cluster would be half the size of the
# order markers around it.
CLUSTER_ICON = """function (cluster) {
  var g = parseFloat(getComputedStyle(document.documentElement).getPropertyValue("--glyph")) || 1;
  var n = cluster.getChildCount();
  var size = n < 10 ? "small" : n < 100 ? "medium" : "large";
  return L.divIcon({
    html: "<div><span>" + n + "</span></div>",
    className: "marker-cluster marker-cluster-" + size,
    iconSize: L.point(Math.round(40 * g), Math.round(40 * g))
  });
}"""
CENTER = (29.45, 103.65)  # Leshan, between 市中区 and 峨边


def _vendored(element: Any, js: list[tuple[str, str]], css: list[tuple[str, str]]) -> None:
    # Instance attributes shadow folium's class-level CDN lists for this element only.
    element.default_js = js
    element.default_css = css


def build_map(
    geography: Geography, *, tile_url: str | None, tile_attribution: str, lang: str
) -> str:
    """The map page's HTML: city outline, 11 county boundaries with name labels, an empty
    marker cluster for live orders; handles exposed as ``window.DC_MAP``.

    Examples
    --------
    >>> html = build_map(geo, tile_url=None, tile_attribution="", lang="zh")  # doctest: +SKIP
    >>> "cdn" in html  # doctest: +SKIP
    False
    """
    m = folium.Map(
        location=CENTER,
        zoom_start=9,
        # folium hands max_zoom to its tile layer; without tiles Leaflet needs it on the map.
        maxZoom=18,
        minZoom=7,
        tiles=None,
        control_scale=True,
        zoom_control=True,
        attribution_control=bool(tile_url),
    )
    _vendored(
        m, [("leaflet", f"{LEAFLET}/leaflet.js")], [("leaflet_css", f"{LEAFLET}/leaflet.css")]
    )
    if tile_url:
        folium.TileLayer(tiles=tile_url, attr=tile_attribution or "tiles", name="tiles").add_to(m)
    city = folium.GeoJson(
        json.loads(geography.areas_json(1, 0.002)),
        name="city",
        style_function=lambda f: {"color": "#5fb3ff", "weight": 4, "fill": False},
        interactive=False,
    )
    city.add_to(m)
    counties = folium.GeoJson(
        json.loads(geography.areas_json(2, 0.002)),
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
                html=f'<div class="county-label" data-code="{area.code}">{area.name}</div>',
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
    _vendored(
        cluster,
        [("markerclusterjs", f"{CLUSTER}/leaflet.markercluster.js")],
        [
            ("markerclustercss", f"{CLUSTER}/MarkerCluster.css"),
            ("markerclusterdefaultcss", f"{CLUSTER}/MarkerCluster.Default.css"),
        ],
    )
    cluster.add_to(m)
    handles = (
        f"window.DC_MAP = {{map: {m.get_name()}, cluster: {cluster.get_name()},"
        f" counties: {counties.get_name()}, city: {city.get_name()}, labels: {labels.get_name()}}};"
    )
    html: str = m.get_root().render()
    # After folium's own script, which creates the map and layers.
    return html.replace("</html>", f"<script>{handles}</script>\n</html>")
