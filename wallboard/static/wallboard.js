// The wall screen: map, mode banner, KPI tiles, systems health, ticker, clock; the
// layout follows the active mode's policy (its "wallboard" section).
import { LiveClient } from "./live.js";
import {
  CONFIG, FeedLayers, OrderLayer, SEVERITY_RANK, esc, fmtTime, getJSON, isOver, isWebLink, orderTickerText,
  readingText, renderMode, seedTicker, setConn, startClock, t, tickerFeedEvent, tickerPush,
  townshipsOnZoom, unitState,
} from "./common.js";
import { AlertSound, IncidentLayer, TaskLayer, fillMap, legend, metricScale } from "./command.js";

const DEFAULT_LAYOUT = CONFIG.default_layout;
const RIGHT_PANELS = new Set(["systems_health", "suggestions", "live_sessions"]);
const TOP_PANELS = new Set(["mode_banner", "clock", "urgent_ticker"]);

const state = { kpi: {}, feeds: [], mode: null, layout: DEFAULT_LAYOUT, ticker: [], sessions: [], suggestions: [] };
const orders = new OrderLayer(window.DC_MAP);
const feeds = new FeedLayers(window.DC_MAP.map);
const alerts = new AlertSound();
feeds.onSilent = (ev) => alerts.unitSilent(ev);
const tasks = new TaskLayer(window.DC_MAP.map, () => { renderPanelsSoon(); feeds.declutterSoon(); });
const incidents = new IncidentLayer(window.DC_MAP.map, () => feeds.declutterSoon());
feeds.extras.push(() => incidents.labels(), () => tasks.labels());
const townships = townshipsOnZoom(window.DC_MAP.map, () => state.layout.layers.includes("townships"));

const pct = (x) => (x == null ? null : `${(x * 100).toFixed(1)}%`);

function bigValue(value) {
  return value == null ? `<div class="big na">${esc(t("na"))}</div>` : `<div class="big">${esc(value)}</div>`;
}

const PANELS = {
  kpi_intake() {
    const k = state.kpi;
    // The 21 systems' orders fold into one "系统推送" chip; the five channels stand alone.
    const by = {};
    for (const [c, n] of Object.entries(k.intake_by_channel || {})) {
      const key = c.startsWith("feed:") ? "feed" : c;
      by[key] = (by[key] || 0) + n;
    }
    const chips = Object.entries(by).sort((a, b) => b[1] - a[1])
      .map(([c, n]) => `<span class="chip">${esc(t(`channel.${c}`, c))} ${n}</span>`).join("");
    return `<h2>${esc(t("kpi_intake"))}</h2>${bigValue(k.intake_today ?? null)}<div class="chips">${chips}</div>`;
  },
  kpi_open_overdue() {
    const k = state.kpi;
    const rows = Object.entries(k.open_by_tier || {}).map(([tier, v]) =>
      `<span>${esc(t(`tier.${tier}`))}</span><span class="v">${v.open}</span><span class="v ${v.overdue ? "bad" : ""}">${v.overdue}</span>`).join("");
    const head = `<span class="muted"></span><span class="v muted">${esc(t("open"))}</span><span class="v muted">${esc(t("overdue"))}</span>`;
    const total = k.open_total == null ? bigValue(null)
      : `<div class="big">${k.open_total} / <span style="color:var(--urgent)">${k.overdue_total}</span></div>`;
    return `<h2>${esc(t("kpi_open_overdue"))}</h2>${total}<div class="kv">${head}${rows}</div>`;
  },
  kpi_on_time() {
    return `<h2>${esc(t("kpi_on_time"))} <small>${esc(t("window_30d"))}</small></h2>${bigValue(pct(state.kpi.on_time_rate))}`;
  },
  kpi_satisfaction() {
    return `<h2>${esc(t("kpi_satisfaction"))} <small>${esc(t("window_30d"))}</small></h2>${bigValue(pct(state.kpi.satisfaction_rate))}`;
  },
  systems_health() {
    // The mode's policy names the feeds to emphasise (e.g. gauges and CAP in a flood):
    // they come first and stand out.
    const emph = new Set(state.layout.emphasised_feeds || []);
    const ordered = [...state.feeds].sort((a, b) => (emph.has(b.system) ? 1 : 0) - (emph.has(a.system) ? 1 : 0));
    const rows = ordered.map((f) => {
      // The feed runner says up / degraded / down; "ok" is the same as "up".
      const st = f.status === "up" ? "ok" : ["ok", "down", "degraded"].includes(f.status) ? f.status : "unknown";
      const name = CONFIG.lang === "en" ? f.name_en : f.name_zh;
      return `<div class="sys${emph.has(f.system) ? " emph" : ""}" title="${esc(t(`health.${st}`))}"><span class="dot st-${st}"></span>${esc(name || f.system)}</div>`;
    }).join("");
    const ok = state.feeds.filter((f) => f.status === "ok" || f.status === "up").length;
    return `<h2>${esc(t("systems_health"))} <small>${ok}/${state.feeds.length}</small></h2><div class="health">${rows || esc(t("no_data"))}</div>`;
  },
  cap_warnings() { return feedList("cap_warnings", "warnings"); },
  river_gauges() { return feedList("river_gauges", "gauges"); },
  scenic_capacity() { return feedList("scenic_capacity", "crowds"); },
  rescue_orders() { return orderList("rescue_orders", (o) => (o.category || "").startsWith("flood")); },
  rescue_units() {
    // The teams on the map as a list: busiest first, the ones out of contact last.
    const now = Date.now();
    const rank = { on_scene: 0, dispatched: 1, returning: 2, standby: 3 };
    const units = [...layerItems.values()].filter((e) => e.layer === "units").map((e) => tasks.state(unitState(e, now)));
    units.sort((a, b) => ((a.silent != null) - (b.silent != null))
      || ((rank[a.status] ?? 4) - (rank[b.status] ?? 4))
      || String(a.name).localeCompare(String(b.name), "zh-CN"));
    const silent = units.filter((u) => u.silent != null).length;
    // Five lines fit under the other emergency panels on a 1080p wall; the heading counts all.
    const li = units.slice(0, 5).map((u) =>
      `<li data-unit="${esc(u.code)}"><span class="dot" style="background:${u.colour}"></span>${esc(u.name)} · ${esc(u.text)}</li>`).join("");
    const count = `${units.length}${silent ? ` · ${t("unit_silent_count").replace("{n}", silent)}` : ""}`;
    return listPanel("rescue_units", count, li);
  },
  tourism_complaints() { return orderList("tourism_complaints", (o) => (o.category || "").startsWith("tourism")); },
  live_sessions() {
    // Open video supervision sessions: a leader joins from the wall (recorded), the
    // video itself runs on the city's conference system behind room_url.
    const items = state.sessions.map((x) => {
      const who = (x.present || []).map((p) => esc(p.name || p.participant)).join("、");
      // Only a web link becomes an href: a session stored before links were checked may
      // hold a javascript: one. Without a link the button is shown, greyed, and does nothing.
      const join = isWebLink(x.room_url)
        ? `<a class="join" data-session="${esc(x.id)}" href="${esc(x.room_url)}" target="_blank" rel="noopener noreferrer">${esc(t("join_session"))}</a>`
        : `<span class="join no-link">${esc(t("join_session"))}</span>`;
      return `<li><b>${esc(x.topic)}</b> ${join}<div class="muted">${esc(t("in_session"))}: ${who || "—"}</div></li>`;
    }).join("");
    return `<h2>${esc(t("live_sessions"))} <small>${state.sessions.length}</small></h2>${items ? `<ul class="list">${items}</ul>` : `<div class="muted">${esc(t("no_data"))}</div>`}`;
  },
  suggestions() {
    // Feed triggers suggest, people decide: the HQ accepts or dismisses in one click
    // (the server checks the role and records who decided).
    const list = state.suggestions;
    const items = list.map((x) => `<li><b>${esc(x.scope_label || "")}</b> ${esc(x.reason || "")}
      <div class="actions"><button class="sugg" data-id="${esc(x.id)}" data-do="accept">${esc(t("accept"))}</button>
      <button class="sugg" data-id="${esc(x.id)}" data-do="dismiss">${esc(t("dismiss"))}</button></div></li>`).join("");
    return `<h2>${esc(t("suggestions"))} <small>${list.length}</small></h2>${items ? `<ul class="list">${items}</ul>` : `<div class="muted">${esc(t("no_data"))}</div>`}`;
  },
};

// The side panels list what the map shows: one entry per thing measured (a gauge, a
// scenic area, a warning), kept current by the feed deltas, most severe and newest first.
const layerItems = new Map();

function loadLayerItems(section) {
  layerItems.clear();
  for (const [layer, list] of Object.entries(section || {})) {
    for (const item of list || []) if (!isOver(item)) layerItems.set(FeedLayers.key({ layer, ...item }), { layer, ...item });
  }
}

function updateLayerItem(ev) {
  const key = FeedLayers.key(ev);
  if (isOver(ev)) { layerItems.delete(key); return; }
  const old = layerItems.get(key);
  if (old && (old.at || "") > (ev.at || "")) return; // a late, older reading
  layerItems.set(key, ev);
}

let panelTimer = null;
function renderPanelsSoon() {
  // Feed deltas can come a thousand a second; the panels are redrawn once a second at most.
  if (panelTimer) return;
  panelTimer = setTimeout(() => { panelTimer = null; renderPanels(); }, 1000);
}

function feedList(key, layer) {
  const items = [...layerItems.values()].filter((e) => (e.layer || "incidents") === layer);
  items.sort((a, b) => ((SEVERITY_RANK[a.severity] ?? 4) - (SEVERITY_RANK[b.severity] ?? 4)) || String(b.at || "").localeCompare(String(a.at || "")));
  const li = items.slice(0, 6).map((e) => {
    const sev = e.severity && e.severity !== "minor" ? ` class="sev-${esc(e.severity)}"` : "";
    return `<li${sev}>${esc(e.title || e.kind || e.system)}${esc(readingText(e.values))}</li>`;
  }).join("");
  return listPanel(key, items.length ? String(items.length) : "", li);
}

function orderList(key, pred) {
  const all = [...orders.orders.values()].filter((o) => pred(o) && o.status !== "closed");
  // The heading counts them all: the column may have room for only a few rows.
  const li = all.slice(0, 6).map((o) => `<li>${esc(o.county_name || "")} ${esc((o.description || "").slice(0, 24))}</li>`).join("");
  return listPanel(key, all.length ? String(all.length) : "", li);
}

// A list panel: its title, a count beside it (the column may show only a few rows) and
// the rows, or "no data".
function listPanel(key, count, li) {
  const small = count ? ` <small>${esc(count)}</small>` : "";
  return `<h2>${esc(t(key))}${small}</h2>${li ? `<ul class="list">${li}</ul>` : `<div class="muted">${esc(t("no_data"))}</div>`}`;
}

function renderPanels() {
  const left = document.getElementById("dc-left");
  const right = document.getElementById("dc-right");
  const want = state.layout.panels || DEFAULT_LAYOUT.panels;
  const html = { left: [], right: [] };
  for (const name of want) {
    if (TOP_PANELS.has(name) || !PANELS[name]) continue;
    const side = RIGHT_PANELS.has(name) ? "right" : "left";
    html[side].push(`<section class="panel" data-panel="${name}">${PANELS[name]()}</section>`);
  }
  left.innerHTML = html.left.join("");
  right.innerHTML = html.right.join("");
  for (const name of TOP_PANELS) {
    for (const el of document.querySelectorAll(`[data-panel="${name}"]`)) el.style.visibility = want.includes(name) ? "" : "hidden";
  }
  document.getElementById("n-systems").textContent = state.feeds.length || "N";
  document.body.dataset.panels = want.join(",");
}

function applyLayout() {
  const layers = state.layout.layers || DEFAULT_LAYOUT.layers;
  orders.show(layers.includes("orders"));
  for (const name of ["gauges", "cameras", "crowds", "warnings", "traffic"]) {
    const key = name === "warnings" ? "feeds.cap_warnings" : `feeds.${name}`;
    feeds.show(name, layers.includes(key) || (name === "warnings" && layers.includes("feeds.cap_warnings")));
  }
  feeds.show("units", layers.includes("units"));
  townships();
  document.body.dataset.layers = layers.join(",");
  renderPanels();
}

function setMode(mode) {
  state.mode = mode;
  state.layout = (mode && mode.wallboard && mode.wallboard.panels) ? mode.wallboard : DEFAULT_LAYOUT;
  renderMode(mode);
  applyLayout();
}

let kpiTimer = null;
function refreshSoon(name, delay) {
  if (kpiTimer) return;
  kpiTimer = setTimeout(async () => { kpiTimer = null; await refreshSection(name); }, delay);
}

async function refreshSuggestions() {
  const r = await getJSON("/api/v1/mode/suggestions?status=open");
  state.suggestions = r.ok ? (r.body.suggestions || []) : [];
  renderPanels();
}

async function refreshSection(name) {
  const r = await getJSON(`/api/v1/wallboard/sections/${name}`);
  if (!r.ok) return;
  if (name === "kpi") state.kpi = r.body.value || {};
  if (name === "feeds") state.feeds = r.body.value || [];
  if (name === "supervision") state.sessions = r.body.value || [];
  if (name === "mode") { setMode(r.body.value); return; }
  renderPanels();
}

const client = new LiveClient({
  onSnapshot(m) {
    state.kpi = m.kpi || {};
    state.feeds = m.feeds || [];
    loadLayerItems(m.feed_layers);
    state.sessions = m.supervision || [];
    seedTicker(state.ticker, m);
    for (const w of (m.feed_layers || {}).warnings || []) alerts.feedEvent({ layer: "warnings", ...w });
    tasks.refresh();
    incidents.refresh();
    refreshSuggestions();
    orders.load(m.orders || []);
    feeds.load(m.feed_layers || {});
    setMode(m.mode || null);
  },
  onDelta(m) {
    if (m.order) {
      orders.upsert(m.order);
      alerts.order(m.order, m.type === "order.created");
      if (m.type.startsWith("order.team")) tasks.refreshSoon();
      if (m.type === "order.created" && m.order.urgency === "urgent") {
        tickerPush(state.ticker, `${fmtTime(m.at)} ${orderTickerText(m.order, t("urgency.urgent"))}`);
      }
      refreshSoon("kpi", 2000);
    } else if (m.type === "mode.suggestion") {
      // A warning cancelled or expired under a suggestion: withdrawn ones leave the list,
      // an accepted mode stays, and the ticker says which.
      if (m.notice) tickerPush(state.ticker, `${fmtTime(m.at)} <b>${esc(m.notice)}</b>`);
      refreshSuggestions();
    } else if (m.type.startsWith("mode.")) {
      // A switch may decide a suggestion (accepted from /hq or the API): the list follows.
      refreshSuggestions();
      refreshSection("mode").then(() => {
        const md = state.mode || {};
        const title = (md.title && (CONFIG.lang === "en" ? md.title.en : md.title.zh)) || m.type;
        tickerPush(state.ticker, `${fmtTime(m.at)} <b>${esc(title)}</b> ${esc(md.reason || "")}`);
      });
    } else if (m.type.startsWith("team.")) {
      tasks.refreshSoon();
    } else if (m.type === "incident.changed") {
      // Opened and closed carry the incident (the ticker says so); every change redraws.
      const text = incidents.tickerText(m);
      if (text) tickerPush(state.ticker, `${fmtTime(m.at)} ${text}`);
      incidents.refreshSoon();
      tasks.refreshSoon();
    } else if (m.type.startsWith("supervision.session") || ["supervision.joined", "supervision.left", "supervision.closed"].includes(m.type)) {
      refreshSection("supervision");
    } else if (Array.isArray(m.events)) {
      // feed.event, cap.alert and unit.position: a system's new events.
      for (const ev of m.events) {
        feeds.upsert(ev);
        updateLayerItem(ev);
        alerts.feedEvent(ev);
        tickerFeedEvent(state.ticker, ev, state.feeds, m.at);
      }
      renderPanelsSoon();
    }
  },
  onState: setConn,
});

startClock();
// The legend first: the city is fitted beside it.
legend(window.DC_MAP.map);
fillMap(window.DC_MAP);
metricScale(window.DC_MAP.map);
setInterval(() => refreshSection("kpi"), 30000);
setInterval(() => refreshSection("feeds"), 30000);
setInterval(renderPanelsSoon, 15000); // a rescue team going silent shows without a delta
document.addEventListener("click", async (ev) => {
  const b = ev.target.closest("button.sugg[data-id]");
  if (b) {
    const r = await window.dc.send("POST", `/api/v1/mode/suggestions/${b.dataset.id}/${b.dataset.do}`, {});
    if (!r.ok) tickerPush(state.ticker, `<b>${esc(t("not_allowed"))}</b>`);
    refreshSuggestions();
    return;
  }
  const a = ev.target.closest("a.join[data-session]");
  if (!a) return;
  // Record the join in the product (whoever is signed in on this screen), then the
  // browser follows the room link to the video system.
  await window.dc.send("POST", `/api/v1/supervision/sessions/${a.dataset.session}/join`);
});
window.DC_APP = { client, orders, feeds, state, panels: PANELS, alerts, tasks, incidents };
client.start();
