// The command console's parts on the wall and the dispatch console: the map filling its
// box (fractional zoom), a metric scale, the legend of every marker, colour and area, the
// teams' taskings drawn team → scene, and the alert sound (once per event, mute, quiet
// hours from the server's settings).
import { CONFIG, SEVERITY_COLOURS, UNIT_COLOURS, esc, getJSON, t } from "./common.js";

// -- the map fills its box ---------------------------------------------------------------
// Leaflet's whole zoom steps left the city at a ninth of a 1080p wall (zoom 10 would not
// fit, so 9 it was); fractional zoom fits the city to the free box at any aspect ratio.
export function fillMap(dcMap) {
  const map = dcMap.map;
  map.options.zoomSnap = 0.05;
  map.options.zoomDelta = 0.5;
  const box = map.getContainer();
  let last = "";
  // Refit only when the free box changed (a resize, the left panels appearing): a
  // dispatcher's or a test's own zoom must not be undone by a panel redrawing.
  const fit = (force = false) => {
    // The left panels and the top bar float over the map: fit the city beside them.
    const r = box.getBoundingClientRect();
    const top = document.getElementById("dc-top");
    const left = document.getElementById("dc-left");
    const topH = top ? Math.max(0, top.getBoundingClientRect().bottom - r.top) : 0;
    const leftW = left && left.children.length && getComputedStyle(left).display !== "none"
      ? Math.max(0, left.getBoundingClientRect().right - r.left) : 0;
    // The legend stands in the bottom-right corner: the city is fitted beside it or above
    // it, whichever leaves it larger (beside on a landscape wall, above on a portrait one).
    const lg = document.getElementById("dc-legend");
    const lr = lg ? lg.getBoundingClientRect() : { width: 0, height: 0 };
    const key = [r.width, r.height, topH, leftW, lr.width, lr.height].map(Math.round).join(",");
    if (!force && key === last) return;
    last = key;
    map.invalidateSize({ pan: false });
    const bounds = dcMap.city.getBounds();
    const tl = L.point(leftW + 8, topH + 8);
    const options = [L.point(lr.width + 20, 8), L.point(8, lr.height + 20)];
    const zoomOf = (br) => map.getBoundsZoom(bounds, false, tl.add(br));
    const br = zoomOf(options[0]) >= zoomOf(options[1]) ? options[0] : options[1];
    map._dcFit = { tl: [tl.x, tl.y], br: [br.x, br.y] };
    map.fitBounds(bounds, { paddingTopLeft: tl, paddingBottomRight: br, animate: false });
  };
  new ResizeObserver(() => fit()).observe(box);
  const left = document.getElementById("dc-left");
  if (left) new MutationObserver(() => fit()).observe(left, { childList: true });
  fit(true);
  return fit;
}

// Metric only: folium's scale control shows miles as well.
export function metricScale(map) {
  for (const el of map.getContainer().querySelectorAll(".leaflet-control-scale")) el.remove();
  L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);
}

// -- the legend -------------------------------------------------------------------------
export function legend(map) {
  const row = (glyph, text) => `<li>${glyph}<span>${esc(text)}</span></li>`;
  const om = (cls) => `<i class="lg-om om ${cls}"></i>`;
  const dot = (c, cls = "") => `<i class="lg-dot ${cls}" style="background:${c}"></i>`;
  const area = (c) => `<i class="lg-area" style="border-color:${c};background:${c}33"></i>`;
  const units = Object.entries(UNIT_COLOURS).map(([k, c]) => row(`<i class="lg-unit" style="background:${c}"></i>`, t(`unit_status.${k}`))).join("");
  const warnings = Object.entries(SEVERITY_COLOURS).map(([k, c]) => row(area(c), t(`sev.${k}`))).join("");
  const html = `<h3>${esc(t("legend"))}</h3>
    <div class="lg-col"><h4>${esc(t("legend.orders"))}</h4><ul>
      ${row(om("u-urgent"), t("urgency.urgent"))}${row(om("u-general"), t("urgency.general"))}${row(om("u-consultation"), t("urgency.consultation"))}
      ${row(om("u-general s-dispatched"), t("legend.dispatched"))}${row(om("u-general overdue"), t("legend.overdue"))}
      ${row('<i class="lg-cluster">3</i>', t("legend.cluster"))}</ul></div>
    <div class="lg-col"><h4>${esc(t("legend.units"))}</h4><ul>${units}
      ${row('<i class="lg-unit" style="background:#5c6b7a"></i>', t("legend.unit_silent"))}
      ${row('<i class="lg-task"></i>', t("legend.task"))}
      ${row('<i class="lg-incident">!</i>', t("legend.incident"))}</ul></div>
    <div class="lg-col"><h4>${esc(t("legend.readings"))}</h4><ul>
      ${row(dot("#3ddc84"), t("legend.reading_ok"))}${row(dot("#ffb020"), t("legend.reading_near"))}${row(dot("#ff4d4f"), t("legend.reading_over"))}</ul></div>
    <div class="lg-col"><h4>${esc(t("legend.warnings"))}</h4><ul>${warnings}
      ${row('<i class="lg-boundary"></i>', t("legend.boundary"))}</ul></div>`;
  const Legend = L.Control.extend({
    onAdd() {
      const el = L.DomUtil.create("div", "dc-legend");
      el.id = "dc-legend";
      el.innerHTML = html;
      L.DomEvent.disableClickPropagation(el);
      return el;
    },
  });
  new Legend({ position: "bottomright" }).addTo(map);
}

// -- the teams' taskings ----------------------------------------------------------------
// A layer drawn from one API list: polled every `everyMs`, and soon after the change log
// says it changed (several changes in a burst make one request).
class PolledLayer {
  constructor(map, onChange, url, everyMs) {
    this.onChange = onChange;
    this.url = url;
    this.group = L.layerGroup().addTo(map);
    this.timer = null;
    setInterval(() => this.refresh(), everyMs);
  }

  refreshSoon() {
    if (this.timer) return;
    this.timer = setTimeout(() => { this.timer = null; this.refresh(); }, 300);
  }

  async refresh() {
    const r = await getJSON(this.url);
    if (!r.ok) return;
    this.group.clearLayers();
    this.draw(r.body.items || []);
    this.onChange();
  }
}

export class TaskLayer extends PolledLayer {
  constructor(map, onChange = () => {}) {
    super(map, onChange, "/api/v1/teams", 15000);
    this.tasks = new Map();
  }

  draw(items) {
    this.tasks.clear();
    for (const tm of items) {
      const task = tm.tasking;
      if (!task || tm.lon == null) continue;
      this.tasks.set(tm.code, task);
      const colour = task.state === "on_scene" ? "#ff4d4f" : "#ffb020";
      L.polyline([[tm.lat, tm.lon], [task.lat, task.lon]], { color: colour, weight: 4, dashArray: "10 8", className: "dc-task", interactive: false })
        .addTo(this.group);
      L.circleMarker([task.lat, task.lon], { radius: 10, color: colour, weight: 4, fill: false, className: `dc-task-scene task-${esc(tm.code)}` })
        .bindTooltip(`${esc(tm.name)} → ${esc(task.place || task.order_number || "")}`, { permanent: true, direction: "top", className: "feed-label task-label" })
        .addTo(this.group);
    }
    document.body.dataset.tasks = [...this.tasks.keys()].join(",");
  }

  // The scene labels for the map's declutter: after every reading, team and incident
  // (a tasking is drawn by its line too, and listed on the team panel).
  labels() {
    const out = [];
    this.group.eachLayer((l) => {
      const tt = l.getTooltip && l.getTooltip();
      if (tt) out.push({ el: tt.getElement(), glyph: l.getElement && l.getElement(), rank: 6 });
    });
    return out;
  }

  // A team's state as the panels show it: the HQ's tasking wins over what the team's own
  // system last said (the board at /hq says the same), a silent team stays silent.
  state(u) {
    const task = this.tasks.get(u.code);
    if (!task || u.silent != null) return u;
    const status = task.state === "on_scene" ? "on_scene" : "dispatched";
    const where = task.place || task.order_number || "";
    return { ...u, status, colour: UNIT_COLOURS[status], text: `${t(`unit_status.${status}`)} → ${where}` };
  }
}

// -- the HQ's open incidents ------------------------------------------------------------
// An incident the HQ runs (e.g. 大渡河沙湾段超警) stands on the map at its place, labelled
// with its title, from its opening to its closing (the change log says when).
export class IncidentLayer extends PolledLayer {
  constructor(map, onChange = () => {}) {
    super(map, onChange, "/api/v1/incidents?status=open", 30000);
    this.items = new Map();
  }

  draw(items) {
    this.items.clear();
    for (const x of items) {
      this.items.set(String(x.id), x);
      if (x.lon == null || x.lat == null) continue;
      // Sized by the wall's --glyph in CSS (2 on a 4K wall): the icon is a point, its sign centred on it.
      const icon = L.divIcon({ className: `dc-incident inc-${esc(x.id)}`, html: '<i class="inc-glyph">!</i>', iconSize: [0, 0] });
      L.marker([x.lat, x.lon], { icon, keyboard: false, zIndexOffset: 900 })
        .bindTooltip(`${esc(t("incident"))} · ${esc(x.title)}`, { permanent: true, direction: "right", offset: [14 * (Number(getComputedStyle(document.documentElement).getPropertyValue("--glyph")) || 1), 0], className: "feed-label incident-label" })
        .addTo(this.group);
    }
    document.body.dataset.incidents = [...this.items.keys()].join(",");
  }

  // The incidents' labels for the map's declutter: always shown, before every other label
  // (the room runs the incident), its sign an obstacle to the others.
  labels() {
    const out = [];
    this.group.eachLayer((l) => {
      const tt = l.getTooltip && l.getTooltip();
      const root = l.getElement && l.getElement();
      if (tt) out.push({ el: tt.getElement(), glyph: root && root.querySelector(".inc-glyph"), rank: -1, always: true, tooltip: tt });
    });
    return out;
  }

  // The ticker's words for an incident's change: opened or closed (with the summary).
  tickerText(m) {
    const x = m.incident;
    if (!x || !x.title) return null;
    if (x.status === "closed") return `<b>${esc(t("incident.closed"))}</b> ${esc(x.title)}${x.summary ? `：${esc(x.summary)}` : ""}`;
    return `<b>${esc(t("incident.opened"))}</b> ${esc(x.title)}${x.place ? ` · ${esc(x.place)}` : ""}`;
  }
}

// -- the alert sound --------------------------------------------------------------------
const PLAYED_KEY = "dc_alerted";
const MUTE_KEY = "dc_alert_muted";

// "23-7": from 23:00 to 07:00 Beijing time; empty: never quiet.
export function inQuietHours(spec, now = new Date()) {
  const m = /^(\d{1,2})-(\d{1,2})$/.exec(spec || "");
  if (!m) return false;
  const [from, to] = [Number(m[1]), Number(m[2])];
  const hour = Number(new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Shanghai", hour: "2-digit", hour12: false }).format(now)) % 24;
  return from <= to ? hour >= from && hour < to : hour >= from || hour < to;
}

export class AlertSound {
  constructor() {
    this.audio = new Audio(CONFIG.alert_sound);
    this.audio.preload = "auto";
    let seen = [];
    try { seen = JSON.parse(localStorage.getItem(PLAYED_KEY) || "[]"); } catch { seen = []; }
    // Remembered across reloads: a wall that restarts does not ring again for old news.
    this.seen = new Set(seen);
    this.muted = localStorage.getItem(MUTE_KEY) === "1";
    this.log = [];
    this.button();
  }

  button() {
    // At the ticker's end: the top bar has no room left on a 1080p wall.
    const tools = document.getElementById("dc-ticker") || document.querySelector(".top-tools");
    if (!tools) return;
    const b = document.createElement("button");
    b.id = "alert-mute";
    b.type = "button";
    b.className = "alert-mute";
    const label = () => {
      b.textContent = this.muted ? t("alert.unmute") : t("alert.mute");
      b.dataset.muted = this.muted ? "1" : "0";
    };
    b.addEventListener("click", () => {
      this.muted = !this.muted;
      localStorage.setItem(MUTE_KEY, this.muted ? "1" : "0");
      label();
    });
    label();
    tools.append(b);
  }

  // Ring once for the event ``key`` (an order, a warning, a silence episode).
  alert(key, kind) {
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    const keep = [...this.seen].slice(-500);
    try { localStorage.setItem(PLAYED_KEY, JSON.stringify(keep)); } catch { /* full: fine */ }
    const quiet = inQuietHours(CONFIG.quiet_hours);
    const entry = { key, kind, at: Date.now(), played: !this.muted && !quiet };
    this.log.push(entry);
    if (entry.played) {
      this.audio.currentTime = 0;
      const p = this.audio.play();
      if (p && p.catch) p.catch(() => { entry.blocked = true; });
    }
    return entry.played;
  }

  // What rings: a new urgent order, a red (extreme) warning, a team gone silent.
  order(o, created) {
    if (created && o.urgency === "urgent") this.alert(`order:${o.id}`, "urgent_order");
  }

  feedEvent(ev) {
    if (ev.layer === "warnings" && ev.severity === "extreme" && !(ev.values || {}).ended
        && (ev.values || {}).msg_type !== "Cancel") {
      this.alert(`warning:${ev.key || ev.source_id}`, "red_warning");
    }
  }

  unitSilent(ev) {
    const v = ev.values || {};
    this.alert(`lost:${v.unit_code || ev.key}:${ev.at}`, "team_lost");
  }
}
