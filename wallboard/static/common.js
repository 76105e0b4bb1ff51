// Shared by the wall and the console: config and strings, the order markers, the mode
// banner, the clock, the feed layers and the policy-driven layout.

export const CONFIG = JSON.parse(document.getElementById("dc-config").textContent);
const S = CONFIG.strings;
export const t = (key, fallback) => S[key] ?? fallback ?? key;
// The panels are sized in rem, which follows the viewport; the map's glyphs are drawn in
// pixels. On a 4K wall the markers would be half the size they are on a 1080p one, too
// small from five metres: they scale with the text (1 on a 1080p wall, 2 on a 4K one).
export const GLYPH = Math.max(1, (parseFloat(getComputedStyle(document.documentElement).fontSize) || 20) / 20);
document.documentElement.style.setProperty("--glyph", String(GLYPH));
const px = (n) => Math.round(n * GLYPH);
// Facts the server owns (pages.page_config): which statuses the map draws, how close under
// its warning level a river is "near", the layout of a mode whose policy names none.
export const LIVE_STATUSES = new Set(CONFIG.live_statuses);

// A reading as the wall writes it after the station's name: a crowd against its capacity,
// a river level against its own marks. On a flood morning the duty officer reads "how far
// over the warning level" first, not the bare level in metres above the datum.
export function readingText(v) {
  if (!v) return "";
  if (v.count != null && v.capacity) return ` ${v.count}/${v.capacity}`;
  if (v.level_m == null) return "";
  const by = (key, d) => ` ${t(key).replace("{d}", d.toFixed(2))}`;
  let text = ` ${v.level_m}m`;
  if (v.guarantee_level_m != null && v.level_m >= v.guarantee_level_m) text += by("gauge_over_guarantee", v.level_m - v.guarantee_level_m);
  else if (v.warning_level_m != null && v.level_m >= v.warning_level_m) text += by("gauge_over_warning", v.level_m - v.warning_level_m);
  else if (v.warning_level_m != null && v.warning_level_m - v.level_m <= CONFIG.near_warning_m) text += by("gauge_near_warning", v.warning_level_m - v.level_m);
  return text;
}

export function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

// A link shown as a link: http(s) only (core.links.is_web_link on the server), so a stored
// "javascript:" room link can never become a live href.
export function isWebLink(url) {
  return typeof url === "string" && !/[\s\x00-\x1f\x7f]/.test(url) && /^https?:\/\/[^/]/i.test(url);
}

// A change (any method but GET) carries the CSRF header: window.dc from
// /static/app/http.js, loaded by the page before this module.
export async function getJSON(url, options = {}) {
  const method = String(options.method || "GET").toUpperCase();
  const headers = method === "GET" || method === "HEAD" ? (options.headers || {}) : window.dc.headers(options.headers);
  const r = await fetch(url, { credentials: "same-origin", ...options, headers });
  let body = null;
  try { body = await r.json(); } catch (e) { /* not JSON */ }
  return { ok: r.ok, status: r.status, body };
}

export function isOverdue(o, now = Date.now()) {
  return LIVE_STATUSES.has(o.status) && o.reply_by && Date.parse(o.reply_by) < now;
}

const URGENCY_RANK = { urgent: 0, general: 1, consultation: 2 };
export const urgencyRank = (u) => URGENCY_RANK[u] ?? 3;

export class OrderLayer {
  constructor(dcMap, { onClick } = {}) {
    this.map = dcMap.map;
    this.cluster = dcMap.cluster;
    this.orders = new Map();
    this.markers = new Map();
    this.onClick = onClick || (() => {});
    this.visible = true;
    setInterval(() => this.refreshOverdue(), 15000);
  }

  iconKey(o) {
    return `${o.urgency}|${o.status}|${isOverdue(o) ? 1 : 0}|${this.selected === o.id ? 1 : 0}`;
  }

  icon(o) {
    const cls = ["om", `u-${o.urgency}`, `s-${o.status}`];
    if (isOverdue(o)) cls.push("overdue");
    if (this.selected === o.id) cls.push("selected");
    return L.divIcon({
      className: "om-wrap",
      html: `<div class="${cls.join(" ")}" data-id="${esc(o.id)}" title="${esc(o.number)}"></div>`,
      iconSize: [px(22), px(22)],
      iconAnchor: [px(11), px(11)],
    });
  }

  makeMarker(o) {
    const m = L.marker([o.lat, o.lon], { icon: this.icon(o), keyboard: false });
    m.orderId = o.id;
    m.iconKey = this.iconKey(o);
    m.on("click", () => this.onClick(o.id));
    return m;
  }

  load(list) {
    this.cluster.clearLayers();
    this.orders.clear();
    this.markers.clear();
    const fresh = [];
    for (const o of list) {
      this.orders.set(o.id, o);
      if (o.lat == null || !LIVE_STATUSES.has(o.status)) continue;
      const m = this.makeMarker(o);
      this.markers.set(o.id, m);
      fresh.push(m);
    }
    this.cluster.addLayers(fresh);
  }

  upsert(o) {
    this.orders.set(o.id, o);
    const m = this.markers.get(o.id);
    if (!LIVE_STATUSES.has(o.status) || o.lat == null) {
      if (m) { this.cluster.removeLayer(m); this.markers.delete(o.id); }
      return;
    }
    if (!m) {
      const fresh = this.makeMarker(o);
      this.markers.set(o.id, fresh);
      this.cluster.addLayer(fresh);
      return;
    }
    const ll = m.getLatLng();
    if (ll.lat !== o.lat || ll.lng !== o.lon) {
      this.cluster.removeLayer(m);
      m.setLatLng([o.lat, o.lon]);
      this.cluster.addLayer(m);
    }
    const key = this.iconKey(o);
    if (key !== m.iconKey) { m.iconKey = key; m.setIcon(this.icon(o)); }
  }

  select(id) {
    const prev = this.selected;
    this.selected = id;
    for (const x of [prev, id]) { const o = this.orders.get(x); if (o) this.upsert(o); }
  }

  reveal(id, done) {
    const m = this.markers.get(id);
    if (!m) { if (done) done(false); return; }
    this.cluster.zoomToShowLayer(m, () => { if (done) done(true); });
  }

  refreshOverdue() {
    for (const o of this.orders.values()) {
      const m = this.markers.get(o.id);
      if (m && this.iconKey(o) !== m.iconKey) { m.iconKey = this.iconKey(o); m.setIcon(this.icon(o)); }
    }
  }

  show(on) {
    if (on === this.visible) return;
    this.visible = on;
    if (on) this.map.addLayer(this.cluster); else this.map.removeLayer(this.cluster);
  }
}

// Feed layers: whatever the snapshot's feed_layers section and feed deltas carry. One entry
// per thing: keyed by the event's live-layer key (a gauge, a camera, a unit), so a moving
// unit's new position moves its marker instead of adding one; events without a thing of
// their own (incidents) key by their source id as before.
export const UNIT_COLOURS = { standby: "#3ddc84", dispatched: "#ffb020", on_scene: "#ff4d4f", returning: "#4fc3f7" };
// A team silent this long is shown as out of contact (grey, dashed, "失联 N 分钟"): its last
// known place is still worth seeing, but nobody should plan with it as if it were live.
// The center's setting (DISPATCH_TEAM_LOST_AFTER_S), the same as the HQ's team board.
const UNIT_STALE_MS = (CONFIG.team_lost_after_s || 600) * 1000;
const unitSilentMin = (ev, now) => {
  const at = Date.parse(ev.at || "");
  return Number.isNaN(at) || now - at < UNIT_STALE_MS ? null : Math.floor((now - at) / 60000);
};

// How a team is shown on the map and in the panel: its state, or how long it has been silent.
export function unitState(ev, now = Date.now()) {
  const v = ev.values || {};
  const status = v.status || "standby";
  const silent = unitSilentMin(ev, now);
  return {
    status,
    silent,
    colour: silent != null ? "#5c6b7a" : UNIT_COLOURS[status] || "#9fb3cc",
    text: silent != null ? t("unit_silent").replace("{m}", silent) : t(`unit_status.${status}`, v.status_zh || status),
    name: v.name || ev.title || v.unit_code || "",
    code: v.unit_code || ev.key || "",
  };
}

// Most severe first: the map's crowded labels and the wall's lists rank readings alike.
export const SEVERITY_RANK = { extreme: 0, severe: 1, moderate: 2, minor: 3 };
// A warning's colour by its level (red, orange, yellow, blue), on the map and the legend.
export const SEVERITY_COLOURS = { extreme: "#ff1f1f", severe: "#ff7a1a", moderate: "#ffd21f", minor: "#4fc3f7" };

// A warning area's label says its level and who issued it, in every mode.
export function warningLabel(ev) {
  const v = ev.values || {};
  const title = ev.title || v.event || "";
  const level = t(`sev.${ev.severity}`, "");
  const issuer = v.sender_name || v.sender || "";
  const extra = [level && !title.includes(level) ? level : "", issuer && !title.includes(issuer) ? issuer : ""].filter(Boolean);
  return extra.length ? `${title}（${extra.join(" · ")}）` : title;
}
// Teams slot between the readings: a gauge over its warning level first, then teams on
// the move, then ordinary readings, then idle teams, silent teams last.
const UNIT_ORDER = { on_scene: 1.5, dispatched: 1.5, returning: 2.5, standby: 3.5 };
// Lower first: what a duty officer must read wins a crowded spot.
function labelRank(it) {
  if (it.layer === "units") return it.silent != null ? 4.5 : UNIT_ORDER[(it.ev.values || {}).status] ?? 3.5;
  return SEVERITY_RANK[it.ev.severity] ?? 3;
}

// A warning that no longer stands: a CAP Cancel, or a river's flood alert ended because
// the river fell back under its warning level. It leaves the map and the panels.
export function isOver(ev) {
  const v = (ev && ev.values) || {};
  return v.msg_type === "Cancel" || v.ended === true;
}

// The open tooltips of a warning area (a GeoJSON group: one per polygon).
function warningTooltips(shape) {
  const out = [];
  const visit = (l) => { const tt = l.getTooltip && l.getTooltip(); const el = tt && tt.getElement && tt.getElement(); if (el) out.push(el); };
  visit(shape);
  if (shape.eachLayer) shape.eachLayer(visit);
  return out;
}

// Turn a permanent tooltip to the side (right, left, below, above; next to its marker or
// a little further out) where its box covers the least of ``obstacles`` (none, at best).
function sideOf(tooltip, el, obstacles) {
  const d = 14 * GLYPH;
  const area = (r) => obstacles.reduce((sum, p) => sum
    + Math.max(0, Math.min(r.right, p.right) - Math.max(r.left, p.left))
    * Math.max(0, Math.min(r.bottom, p.bottom) - Math.max(r.top, p.top)), 0);
  const sides = [];
  for (const k of [1, 3]) sides.push(["right", [k * d, 0]], ["left", [-k * d, 0]], ["bottom", [0, k * d]], ["top", [0, -k * d]]);
  let best = null;
  for (const [direction, offset] of sides) {
    tooltip.options.direction = direction;
    tooltip.options.offset = L.point(offset);
    tooltip.update();
    const cost = area(el.getBoundingClientRect());
    if (best === null || cost < best.cost) best = { cost, direction, offset };
    if (cost === 0) return;
  }
  tooltip.options.direction = best.direction;
  tooltip.options.offset = L.point(best.offset);
  tooltip.update();
}

export class FeedLayers {
  constructor(map) {
    this.map = map;
    this.groups = new Map();
    this.items = new Map();
    this.hidden = new Set();
    // The wall is a kiosk: a team going silent must show without any delta arriving.
    setInterval(() => this.refreshUnits(), 15000);
    this.declutterTimer = null;
    // Other layers' labels placed with these (the HQ's incidents, the teams' taskings):
    // functions giving [{ el, glyph, rank, always }], the label, its marker, its importance
    // (``always``: shown whatever it covers, and placed before the rest).
    this.extras = [];
    map.on("zoomend moveend", () => this.declutterSoon());
  }

  declutterSoon() {
    if (this.declutterTimer) return;
    this.declutterTimer = setTimeout(() => { this.declutterTimer = null; this.declutter(); }, 250);
  }

  // Permanent labels (gauges, scenic areas, teams) of things close together overlap at city
  // zoom and become unreadable from across the room. Keep the most important label of each
  // overlapping group (the most severe reading, then the busiest team) and hide the others
  // until the map is zoomed in far enough to separate them; the markers always stay.
  declutter() {
    // Obstacles first, never hidden: the county names and every marker's glyph. Then the
    // labels, most important first, each shown only where it covers nothing placed.
    const centre = (r) => [(r.left + r.right) / 2, (r.top + r.bottom) / 2];
    const placed = [...document.querySelectorAll(".county-label")].map((el) => ({ r: el.getBoundingClientRect(), at: null }));
    // The warnings' labels, shown whatever they cover: a label that is always shown too
    // (an incident's) turns to the side where it covers none of them.
    const fixed = [];
    const labels = [];
    for (const it of this.items.values()) {
      if (!this.map.hasLayer(it.shape)) continue;
      if (it.layer === "warnings" && !it.shape.eachLayer && it.shape.getTooltip && it.shape.getTooltip()) {
        // A warning at a point (a river over its mark): always shown too, but turned off its
        // own marker and the places around it rather than laid over them.
        const root = it.shape.getElement && it.shape.getElement();
        const box = root ? root.getBoundingClientRect() : null;
        const at = box ? centre(box) : null;
        if (box) placed.push({ r: box, at });
        const tooltip = it.shape.getTooltip();
        // Like an area's, it pushes no river's or team's label away (it is about the river).
        if (tooltip.getElement()) labels.push({ el: tooltip.getElement(), at, rank: -2, always: true, tooltip, aside: true });
        continue;
      }
      if (it.layer === "warnings") {
        // A warning's level and issuer are always shown, never hidden; it does not push
        // a river's or a team's label away either (the area's label sits at its centre).
        for (const el of warningTooltips(it.shape)) {
          el.style.visibility = "";
          fixed.push(el.getBoundingClientRect());
        }
        continue;
      }
      const root = it.shape.getElement && it.shape.getElement();
      const glyph = it.layer === "units" ? root && root.querySelector(".um-glyph") : root;
      const box = glyph ? glyph.getBoundingClientRect() : null;
      const at = box ? centre(box) : null;
      if (box) placed.push({ r: box, at });
      const el = it.layer === "units"
        ? root && root.querySelector(".um-label")
        : it.shape.getTooltip && it.shape.getTooltip()?.getElement();
      if (el) labels.push({ el, at, rank: labelRank(it) });
    }
    for (const provide of this.extras) {
      for (const x of provide()) {
        const box = x.glyph ? x.glyph.getBoundingClientRect() : null;
        const at = box ? centre(box) : null;
        if (box) placed.push({ r: box, at });
        if (x.el) labels.push({ el: x.el, at, rank: x.rank, always: x.always, tooltip: x.tooltip });
      }
    }
    labels.sort((a, b) => a.rank - b.rank);
    // Markers on the label's own spot (the thing itself, a warning raised on it) are part
    // of what the label names, not in its way.
    const here = (a, b) => a && b && Math.abs(a[0] - b[0]) < 6 && Math.abs(a[1] - b[1]) < 6;
    for (const { el, at, always, tooltip, aside } of labels) {
      if (always && tooltip) sideOf(tooltip, el, [...fixed, ...placed.filter((p) => !here(p.at, at)).map((p) => p.r)]);
      const r = el.getBoundingClientRect();
      const hit = !always && placed.some((p) => !here(p.at, at)
        && r.left < p.r.right && r.right > p.r.left && r.top < p.r.bottom && r.bottom > p.r.top);
      el.style.visibility = hit ? "hidden" : "";
      el.dataset.decluttered = hit ? "1" : "0";
      if (aside) fixed.push(r);
      else if (!hit) placed.push({ r, at: null });
    }
  }

  refreshUnits(now = Date.now()) {
    for (const it of this.items.values()) {
      if (it.layer !== "units") continue;
      const { silent } = unitState(it.ev, now);
      if (silent !== it.silent) {
        it.silent = silent;
        if (silent != null && this.onSilent) this.onSilent(it.ev);
        it.shape.setIcon(this.unitIcon(it.ev, now));
        this.declutterSoon();
      }
    }
  }

  group(name) {
    if (!this.groups.has(name)) {
      const g = L.layerGroup();
      if (!this.hidden.has(name)) g.addTo(this.map);
      this.groups.set(name, g);
    }
    return this.groups.get(name);
  }

  static key(ev) {
    return `${ev.system || ""}:${ev.key || ev.source_id || ev.id || Math.random()}`;
  }

  load(section) {
    for (const g of this.groups.values()) g.clearLayers();
    this.items.clear();
    for (const [layer, list] of Object.entries(section || {})) {
      for (const item of list || []) this.upsert({ layer, ...item });
    }
  }

  remove(key) {
    const old = this.items.get(key);
    if (!old) return;
    this.group(old.layer).removeLayer(old.shape);
    this.items.delete(key);
  }

  upsert(ev) {
    const layer = ev.layer || "incidents";
    const key = FeedLayers.key(ev);
    const old = this.items.get(key);
    // A report older than the one shown (a late delivery) must not move a unit back.
    if (old && old.ev.at && ev.at && Date.parse(ev.at) < Date.parse(old.ev.at)) return;
    const v = ev.values || {};
    if (isOver(ev)) { this.remove(key); return; }
    const lat = ev.location ? ev.location.lat : ev.lat;
    const lon = ev.location ? ev.location.lon : ev.lon;
    if (layer === "units") { this.upsertUnit(key, ev, lat, lon); return; }
    this.remove(key);
    const label = layer === "warnings" ? warningLabel(ev) : (ev.title || "") + readingText(v);
    const sev = ev.severity || "minor";
    const colour = SEVERITY_COLOURS[sev] || "#4fc3f7";
    let shape = null;
    const geo = ev.area && (ev.area.geojson || ev.area);
    if (geo && geo.type) {
      shape = L.geoJSON(geo, { style: { color: colour, weight: 3, fillOpacity: 0.18, dashArray: "6 4" } });
    } else if (lat != null && lon != null) {
      const ratio = v.count != null && v.capacity ? v.count / v.capacity : null;
      const c = ratio != null ? (ratio >= 1 ? "#ff4d4f" : ratio >= 0.8 ? "#ffb020" : "#3ddc84") : colour;
      shape = L.circleMarker([lat, lon], { radius: px(8), color: "#fff", weight: px(2), fillColor: c, fillOpacity: 0.9 });
    }
    if (!shape) return;
    if (label) shape.bindTooltip(esc(label), { permanent: ["gauges", "crowds", "warnings"].includes(layer), className: `feed-label${layer === "warnings" ? ` warning-label sev-${sev}` : ""}`, direction: layer === "warnings" ? "center" : "right" });
    shape.addTo(this.group(layer));
    this.items.set(key, { layer, shape, ev });
    this.declutterSoon();
  }

  // A field unit: a square vehicle glyph coloured by its state, its name and state beside it.
  unitIcon(ev, now = Date.now()) {
    const v = ev.values || {};
    const u = unitState(ev, now);
    const arrow = v.heading_deg != null && u.silent == null
      ? `<i class="um-dir" style="transform: rotate(${Number(v.heading_deg)}deg)"></i>` : "";
    return L.divIcon({
      className: "um-wrap",
      html: `<div class="um" data-unit="${esc(u.code)}" data-status="${esc(u.status)}" data-stale="${u.silent != null ? 1 : 0}">`
        + `<b class="um-glyph" style="background:${u.colour}">${arrow}</b>`
        + `<span class="um-label">${esc(u.name)} · ${esc(u.text)}</span></div>`,
      iconSize: [px(18), px(18)],
      iconAnchor: [px(9), px(9)],
    });
  }

  upsertUnit(key, ev, lat, lon) {
    if (lat == null || lon == null) return;
    const old = this.items.get(key);
    const now = Date.now();
    const { silent } = unitState(ev, now);
    if (silent != null && (!old || old.silent == null) && this.onSilent) this.onSilent(ev);
    if (old) {
      old.shape.setLatLng([lat, lon]);
      old.shape.setIcon(this.unitIcon(ev, now));
      old.ev = ev;
      old.silent = silent;
      this.declutterSoon();
      return;
    }
    const shape = L.marker([lat, lon], { icon: this.unitIcon(ev, now), keyboard: false, zIndexOffset: 500 });
    shape.addTo(this.group("units"));
    this.items.set(key, { layer: "units", shape, ev, silent });
    this.declutterSoon();
  }

  show(name, on) {
    if (on) this.hidden.delete(name); else this.hidden.add(name);
    const g = this.group(name);
    if (on && !this.map.hasLayer(g)) g.addTo(this.map);
    if (!on && this.map.hasLayer(g)) this.map.removeLayer(g);
  }
}

export function startClock() {
  const timeFmt = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  const dateFmt = new Intl.DateTimeFormat(CONFIG.lang === "en" ? "en-GB" : "zh-CN", { timeZone: "Asia/Shanghai", year: "numeric", month: "long", day: "numeric", weekday: "long" });
  const tick = () => {
    const now = new Date();
    document.getElementById("clock").textContent = timeFmt.format(now);
    document.getElementById("date").textContent = `${dateFmt.format(now)} (UTC+8)`;
  };
  tick();
  setInterval(tick, 1000);
}

const fmtTime = (iso) => {
  if (!iso) return "";
  return new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false }).format(new Date(iso));
};
export { fmtTime };

export function renderMode(mode) {
  if (!mode) return;
  const name = mode.mode || "normal";
  const title = CONFIG.lang === "en" ? (mode.title && mode.title.en) : (mode.title && mode.title.zh);
  document.getElementById("mode-name").textContent = title || `${t(`mode.${name}`)}${t("mode_suffix")}`;
  const parts = [];
  const scopes = mode.scope && mode.scope.length ? mode.scope : null;
  const countyNames = (mode.scopes || []).filter((s) => s.mode === name).map((s) => s.name);
  parts.push(`${t("scope")}: ${scopes ? (countyNames.length ? countyNames.join("、") : scopes.join(", ")) : t("city_wide")}`);
  if (mode.since) parts.push(`${t("since")} ${fmtTime(mode.since)}`);
  if (mode.reason) parts.push(mode.reason);
  document.getElementById("mode-detail").textContent = parts.join(" · ");
  const theme = (mode.wallboard && mode.wallboard.theme) || name;
  document.body.classList.remove("theme-normal", "theme-holiday", "theme-emergency");
  document.body.classList.add(`theme-${theme}`);
  document.body.dataset.mode = name;
  for (const i of document.querySelectorAll(".modes3 i")) i.classList.toggle("on", i.dataset.m === name);
}

export function setConn(state) {
  const el = document.getElementById("conn");
  el.textContent = t(state === "connected" ? "connected" : state === "expired" ? "expired" : "reconnecting");
  el.className = `conn ${state === "connected" ? "conn-on" : "conn-off"}`;
  document.body.dataset.conn = state;
}

// Townships only when zoomed in (they are many and only readable close up).
export function townshipsOnZoom(map, enabled) {
  let layer = null;
  let loading = false;
  const update = async () => {
    const want = enabled() && map.getZoom() >= 11;
    if (want && !layer && !loading) {
      loading = true;
      const r = await getJSON("/api/v1/geo/areas?tier=3&simplify=0.001");
      loading = false;
      if (r.ok) layer = L.geoJSON(r.body, { style: { color: "#5b7fa8", weight: 1, fill: false, dashArray: "3 3" }, interactive: false });
    }
    if (layer) {
      if (want && !map.hasLayer(layer)) layer.addTo(map);
      if (!want && map.hasLayer(layer)) map.removeLayer(layer);
    }
  };
  map.on("zoomend", update);
  return update;
}

export function tickerPush(items, text, max = 12) {
  items.unshift(text);
  items.length = Math.min(items.length, max);
  const el = document.getElementById("ticker");
  el.innerHTML = items.length ? items.map((x) => `<span>${x}</span>`).join("") : esc(t("no_urgent"));
}

// What is already burning when a screen opens (or reopens after a reconnect): severe
// warnings and urgent open orders. The ticker starts over, so a reconnect repeats nothing.
export function seedTicker(items, snapshot) {
  items.length = 0;
  for (const w of (snapshot.feed_layers || {}).warnings || []) {
    if (["severe", "extreme"].includes(w.severity)) tickerPush(items, `${fmtTime(w.at)} <b>${esc(w.title || w.system)}</b>`);
  }
  for (const o of (snapshot.orders || []).filter((x) => x.urgency === "urgent").slice(0, 5)) {
    tickerPush(items, `${fmtTime(o.received_at)} ${orderTickerText(o, t("urgency.urgent"))}`);
  }
  if (!items.length) document.getElementById("ticker").textContent = t("no_urgent");
}

// A feed event in the ticker when it is news: severe or worse, or a river's alert ending
// (the all-clear is news on a flood morning); under its system's name (防汛水雨情, not
// "hydrology"). Both screens tick the same events.
export function tickerFeedEvent(items, ev, feeds, at) {
  if (!["severe", "extreme"].includes(ev.severity) && !(ev.values || {}).ended) return;
  const f = (feeds || []).find((x) => x.system === ev.system);
  const name = (f && (CONFIG.lang === "en" ? f.name_en : f.name_zh)) || ev.system || "";
  tickerPush(items, `${fmtTime(ev.at || at)} <b>${esc(name)}</b> ${esc(ev.title || "")}`);
}

export function orderTickerText(o, prefix) {
  return `<b>${esc(prefix)}</b> ${esc(o.county_name || "")} ${esc(o.number || "")} ${esc((o.description || "").slice(0, 40))}`;
}
