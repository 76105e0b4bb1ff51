// The dispatcher console: the live map plus the queue of orders waiting for dispatch;
// a marker or a queue row opens the order card; one click assigns (with the version, so
// of two dispatchers racing exactly one wins and the other is told who took it).
import { LiveClient } from "./live.js";
import {
  CONFIG, FeedLayers, OrderLayer, esc, fmtTime, getJSON, orderTickerText, renderMode, seedTicker,
  setConn, startClock, t, tickerFeedEvent, tickerPush, townshipsOnZoom, urgencyRank,
} from "./common.js";
import { assignAction, otherMoves, pendingBlocks, postAction, runMove } from "./dispatch_moves.js";
import { IncidentLayer, TaskLayer, fillMap, legend, metricScale } from "./command.js";

// What waits for a dispatcher: the server says (pages.page_config).
const WAITING = new Set(CONFIG.waiting_statuses);
const state = { filters: { county: "", category: "", urgency: "" }, queue: [], active: -1, card: null, ticker: [], feeds: [] };
const orders = new OrderLayer(window.DC_MAP, { onClick: (id) => openCard(id) });
// The wall's live map: the warning areas, gauges, crowds and rescue teams around the
// order being assigned (the same layers and labels as the wall).
const feeds = new FeedLayers(window.DC_MAP.map);
townshipsOnZoom(window.DC_MAP.map, () => true);

const $ = (id) => document.getElementById(id);

// What the dispatcher must act on: new and returned orders, and 延期 requests.
function needsDispatcher(o) {
  return WAITING.has(o.status) || Boolean(o.extension_pending);
}

function queueTag(o) {
  if (o.status === CONFIG.returned_status) return `<span class="tag returned">${esc(t("queue_tag.return_requested"))}</span>`;
  if (o.extension_pending) return `<span class="tag extension">${esc(t("queue_tag.extension"))}</span>`;
  return "";
}

function waiting(o) {
  const f = state.filters;
  return needsDispatcher(o)
    && (!f.county || o.county === f.county)
    && (!f.category || (o.category || "").split(".")[0] === f.category)
    && (!f.urgency || o.urgency === f.urgency);
}

function renderQueue() {
  const activeId = state.queue[state.active];
  state.queue = [...orders.orders.values()].filter(waiting)
    .sort((a, b) => urgencyRank(a.urgency) - urgencyRank(b.urgency) || String(a.received_at).localeCompare(String(b.received_at)))
    .map((o) => o.id);
  state.active = activeId ? state.queue.indexOf(activeId) : -1;
  $("queue-count").textContent = state.queue.length;
  $("queue").innerHTML = state.queue.length ? state.queue.map((id, i) => {
    const o = orders.orders.get(id);
    const manual = o.queue === "manual" ? `<span class="tag manual">${esc(t("manual_queue"))}</span>` : "";
    return `<li data-id="${esc(id)}" class="${i === state.active ? "active" : ""}">`
      + `<span class="tag u-${esc(o.urgency)}">${esc(t(`urgency.${o.urgency}`))}</span>`
      + `<span>${esc(o.county_name || "")} ${esc(o.number)} ${manual}${queueTag(o)}</span><span class="muted">${esc(fmtTime(o.received_at))}</span>`
      + `<span class="desc">${esc(o.description)}</span></li>`;
  }).join("") : `<li class="muted">${esc(t("queue_empty"))}</li>`;
}

function fillFilters(geography) {
  const sel = $("f-county");
  for (const c of (geography && geography.counties) || []) sel.insertAdjacentHTML("beforeend", `<option value="${esc(c.code)}">${esc(c.name)}</option>`);
  refreshCategories();
}

function refreshCategories() {
  const sel = $("f-category");
  const have = new Set([...sel.options].map((o) => o.value));
  for (const o of orders.orders.values()) {
    const d = (o.category || "").split(".")[0];
    if (d && !have.has(d)) { have.add(d); sel.insertAdjacentHTML("beforeend", `<option value="${esc(d)}">${esc(d)}</option>`); }
  }
}

function move(step) {
  if (!state.queue.length) return;
  state.active = Math.max(0, Math.min(state.queue.length - 1, state.active + step));
  renderQueue();
  const el = $("queue").children[state.active];
  if (el) el.scrollIntoView({ block: "nearest" });
  orders.select(state.queue[state.active]);
}

function toast(text) {
  const el = $("toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 4000);
}

async function openCard(id) {
  state.card = { id, data: null, outcome: null };
  orders.select(id);
  const i = state.queue.indexOf(id);
  if (i >= 0) { state.active = i; renderQueue(); }
  $("card").hidden = false;
  $("card-body").innerHTML = `<div class="muted">…</div>`;
  const r = await getJSON(`/api/v1/dispatch/orders/${encodeURIComponent(id)}/candidates`);
  if (!state.card || state.card.id !== id) return;
  if (!r.ok) { $("card-body").innerHTML = `<div class="taken">${esc((r.body && r.body.error && r.body.error.message) || r.status)}</div>`; return; }
  state.card.data = r.body;
  renderCard();
}

function renderCard() {
  const c = state.card;
  if (!c || !c.data) return;
  const o = c.data.order;
  const live = orders.orders.get(c.id);
  const status = (live && live.status) || o.status;
  const version = (live && live.version) || o.version;
  const path = ((o.routing && o.routing.path) || []).map((s) => esc(s.name)).join(" › ");
  const canAssign = WAITING.has(status) && !c.outcome;
  const allowed = new Set(c.outcome ? [] : (o.allowed_actions || []));
  // A returned order goes to another unit (改派), never back to the one that returned it.
  const returnedBy = status === CONFIG.returned_status && o.assigned_unit ? o.assigned_unit.code : null;
  const btn = (code, label, primary) => canAssign && code !== returnedBy
    ? `<button class="assign${primary ? " primary" : ""}" data-unit="${esc(code)}" data-version="${version}">${esc(returnedBy ? t("redispatch") : label)}</button>` : "";
  const s = c.data.suggested;
  const km = (d) => (d == null ? "" : d === 0 ? t("inside_area") : `${d} km`);
  const alts = c.data.alternatives.map((a) => `<tr><td>${esc(a.name)}</td><td class="muted">${esc(km(a.distance_km))}</td>`
    + `<td class="muted">${esc(t("card_load"))} ${a.open_load}</td><td>${btn(a.code, t("assign"), false)}</td></tr>`).join("");
  const co = (c.data.co || []).map((u) => esc(u.name || u.code || u)).join("、");
  // Units to choose from while the order waits for one (and once it has been given one
  // here); a 延期 request on an order at work needs none.
  const showUnits = WAITING.has(status) || String(c.outcome || "").includes('data-outcome="assigned"')
    || String(c.outcome || "").includes('data-outcome="taken"');
  $("card-body").innerHTML = `
    <h3><span class="tag u-${esc(o.urgency)}">${esc(t(`urgency.${o.urgency}`))}</span> ${esc(o.number)} · ${esc(o.status_label || status)}</h3>
    <div class="path">${esc(t("card_path"))}: ${path}</div>
    <p>${esc(o.description)}</p>
    <div class="muted">${esc(o.address || "")} · ${esc(t("deadline"))} ${esc(fmtTime(o.deadlines && o.deadlines.reply_by))}</div>
    ${c.outcome || ""}
    ${pendingBlocks(c.data, allowed, version)}
    ${showUnits ? `<h3>${esc(t("card_suggested"))}</h3>
    ${s ? `<div>${esc(s.name)} <span class="muted">${s.distance_km == null ? "" : `${esc(km(s.distance_km))} · `}${esc(t("card_load"))} ${s.open_load}</span> ${btn(s.code, t("assign_suggested"), true)}</div>`
      : `<div class="muted">${esc(t("manual_queue"))}: ${esc(c.data.reason || "")}</div>`}
    ${co ? `<div class="muted">${esc(t("card_co"))}: ${co}</div>` : ""}
    <h3>${esc(t("card_alternatives"))}</h3>
    <table class="alts">${alts}</table>` : ""}
    ${otherMoves(c.data, allowed, version)}`;
}

async function assign(unit, version) {
  const c = state.card;
  if (!c || c.pending) return;
  c.pending = true;
  const r = await postAction(c.id, assignAction(c.data.order.allowed_actions || []), { unit_code: unit, version: Number(version) });
  showOutcome(r, unit);
}

// What the server said to a move: done (the order as it is now), or who was first.
function showOutcome(r, unit) {
  const c = state.card;
  if (!c) return;
  if (r.ok) {
    c.outcome = unit
      ? `<div class="done" data-outcome="assigned">${esc(t("assigned_ok"))}: ${esc((r.body.assigned_unit && r.body.assigned_unit.name) || unit)}</div>`
      : `<div class="done" data-outcome="done">${esc(t("done_ok"))}: ${esc(r.body.status_label || r.body.status)}</div>`;
    c.data.order = r.body;
    orders.upsert({ ...orders.orders.get(c.id), status: r.body.status, version: r.body.version, extension_pending: r.body.extension_pending, assigned_unit: r.body.assigned_unit ? r.body.assigned_unit.code : unit });
  } else {
    const e = (r.body && r.body.error) || {};
    const who = e.changed_by || "?";
    c.outcome = r.status === 409 && e.changed_by
      ? `<div class="taken" data-outcome="taken" data-by="${esc(who)}">${esc(t("taken_by").replace("{who}", who))}</div>`
      : `<div class="taken" data-outcome="error">${esc(e.message || r.status)}</div>`;
  }
  c.pending = false;
  renderQueue();
  renderCard();
}

function closeCard() {
  state.card = null;
  $("card").hidden = true;
  orders.select(null);
}

async function move_(button) {
  const c = state.card;
  if (!c || c.pending) return;
  c.pending = true;
  const r = await runMove(c.id, button);
  c.pending = false;
  if (r) { showOutcome(r, null); renderQueue(); renderCard(); }
}

$("card-body").addEventListener("click", (ev) => {
  const b = ev.target.closest("button.assign");
  if (b) assign(b.dataset.unit, b.dataset.version);
  const m = ev.target.closest("button.move");
  if (m) move_(m);
});
$("card-close").addEventListener("click", closeCard);
$("queue").addEventListener("click", (ev) => {
  const li = ev.target.closest("li[data-id]");
  if (li) openCard(li.dataset.id);
});
for (const [key, id] of [["county", "f-county"], ["category", "f-category"], ["urgency", "f-urgency"]]) {
  $(id).addEventListener("change", (ev) => { state.filters[key] = ev.target.value; renderQueue(); });
}
document.addEventListener("keydown", (ev) => {
  if (ev.target.tagName === "SELECT" || ev.target.tagName === "INPUT") return;
  if (ev.key === "j" || ev.key === "ArrowDown") { move(1); ev.preventDefault(); }
  else if (ev.key === "k" || ev.key === "ArrowUp") { move(-1); ev.preventDefault(); }
  else if (ev.key === "Enter" && state.queue[state.active]) openCard(state.queue[state.active]);
  else if (ev.key === "Escape") closeCard();
  else if (ev.key === "a" && state.card && state.card.data && state.card.data.suggested) {
    const b = document.querySelector("button.assign.primary");
    if (b) assign(b.dataset.unit, b.dataset.version);
  }
});

const client = new LiveClient({
  onSnapshot(m) {
    orders.load(m.orders || []);
    feeds.load(m.feed_layers || {});
    state.feeds = m.feeds || [];
    seedTicker(state.ticker, m);
    if (!$("f-county").options[1]) fillFilters(m.geography);
    renderMode(m.mode);
    $("n-systems").textContent = (m.feeds || []).length || "N";
    renderQueue();
  },
  onDelta(m) {
    if (m.order) {
      const before = orders.orders.get(m.order.id);
      orders.upsert(m.order);
      if (m.type === "order.created" && m.order.urgency === "urgent") tickerPush(state.ticker, `${fmtTime(m.at)} ${orderTickerText(m.order, t("urgency.urgent"))}`);
      refreshCategories();
      renderQueue();
      // Someone else moved the order on the card: say who, at once.
      if (state.card && state.card.id === m.order.id && before && needsDispatcher(before) && !needsDispatcher(m.order) && !state.card.outcome && !state.card.pending) {
        state.card.outcome = `<div class="taken" data-outcome="taken" data-by="${esc(m.actor)}">${esc(t("taken_by").replace("{who}", m.actor || "?"))}</div>`;
        renderCard();
      }
    } else if (m.type === "incident.changed") {
      incidents.refreshSoon();
    } else if (m.type.startsWith("mode.")) {
      getJSON("/api/v1/wallboard/sections/mode").then((r) => { if (r.ok) renderMode(r.body.value); });
    } else if (Array.isArray(m.events)) {
      // feed.event, cap.alert and unit.position: a system's new events.
      for (const ev of m.events) {
        feeds.upsert(ev);
        tickerFeedEvent(state.ticker, ev, state.feeds, m.at);
      }
    }
  },
  onState: setConn,
});

startClock();
// The same map as the wall: filling its box, metric scale, legend, the teams' taskings.
// The legend first: the city is fitted beside it.
legend(window.DC_MAP.map);
fillMap(window.DC_MAP);
metricScale(window.DC_MAP.map);
const tasks = new TaskLayer(window.DC_MAP.map, () => feeds.declutterSoon());
tasks.refresh();
// The legend lists the HQ's incidents: the dispatcher's map marks them as the wall does.
const incidents = new IncidentLayer(window.DC_MAP.map, () => feeds.declutterSoon());
feeds.extras.push(() => incidents.labels(), () => tasks.labels());
incidents.refresh();
window.DC_APP = { client, orders, feeds, state, openCard, assign };
client.start();
void CONFIG;
