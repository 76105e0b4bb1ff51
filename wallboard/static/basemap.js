// The base map of the wall and the console, drawn from the page's "dc-basemap" JSON block
// (wallboard/basemap.py): city outline, 11 county boundaries with name labels, an empty
// marker cluster for live orders, tiles only when the center has a tile server. A classic
// script, run as the page is parsed, so the page's modules find window.DC_MAP ready.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("dc-basemap").textContent);
  const map = L.map("dc-map", {
    center: data.center,
    crs: L.CRS.EPSG3857,
    zoom: data.zoom,
    zoomControl: true,
    preferCanvas: false,
    // Without tiles Leaflet needs the zoom range on the map itself.
    maxZoom: data.max_zoom,
    minZoom: data.min_zoom,
    attributionControl: Boolean(data.tiles),
  });
  L.control.scale().addTo(map);
  if (data.tiles) {
    L.tileLayer(data.tiles.url, {
      minZoom: 0,
      maxZoom: data.max_zoom,
      maxNativeZoom: data.max_zoom,
      attribution: data.tiles.attribution,
    }).addTo(map);
  }
  const city = L.geoJson(data.city, {
    style: () => ({ color: "#5fb3ff", weight: 4, fill: false }),
    interactive: false,
  }).addTo(map);
  const countyStyle = (feature) => ({
    color: "#7fa7d9",
    weight: 2,
    fillColor: "#1d3557",
    fillOpacity: 0.35,
    className: `county county-${feature.properties.code}`,
  });
  const counties = L.geoJson(data.counties, {
    style: countyStyle,
    onEachFeature: (feature, layer) => {
      layer.on({
        mouseover: (e) => e.target.setStyle({ fillOpacity: 0.5 }),
        mouseout: (e) => counties.resetStyle(e.target),
      });
    },
  }).addTo(map);
  const labels = L.featureGroup();
  for (const c of data.labels) {
    const label = document.createElement("div");
    label.className = "county-label";
    label.dataset.code = c.code;
    label.textContent = c.name;
    L.marker([c.lat, c.lon], {
      interactive: false,
      icon: L.divIcon({ html: label, iconSize: [120, 30], iconAnchor: [60, 15], className: "county-label-icon" }),
    }).addTo(labels);
  }
  labels.addTo(map);
  const cluster = L.markerClusterGroup({
    maxClusterRadius: 40,
    chunkedLoading: true,
    showCoverageOnHover: false,
    // The cluster's own icon, sized like the wall's other glyphs by the --glyph factor
    // that common.js sets (2 on a 4K wall): a fixed 40 px cluster would be half the size
    // of the order markers around it.
    iconCreateFunction: (group) => {
      const g = parseFloat(getComputedStyle(document.documentElement).getPropertyValue("--glyph")) || 1;
      const n = group.getChildCount();
      const size = n < 10 ? "small" : n < 100 ? "medium" : "large";
      return L.divIcon({
        html: "<div><span>" + n + "</span></div>",
        className: "marker-cluster marker-cluster-" + size,
        iconSize: L.point(Math.round(40 * g), Math.round(40 * g)),
      });
    },
  }).addTo(map);
  window.DC_MAP = { map, cluster, counties, city, labels };
})();
