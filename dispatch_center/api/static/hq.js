// The HQ command console: modes per county on the map, declare/end/schedule through the
// mode API, suggestions with their evidence, the switch history, the team board with
// send-a-team (nearest suggested), incidents. Signed in by the HttpOnly session cookie;
// every state-changing request carries the CSRF header (cookie dc_csrf).
const CONFIG = JSON.parse(document.getElementById("hq-config").textContent);
const S = CONFIG.strings;
const t = (k) => S[k] ?? k;
const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const $ = (id) => document.getElementById(id);
const READ_ONLY = CONFIG.who.read_only;
const COUNTY_NAME = Object.fromEntries(CONFIG.counties.map((c) => [c.code, c.name]));

export const MODE_COLOURS = { normal: "#2e7d32", holiday: "#f9a825", emergency: "#d32f2f" };
export const TEAM_COLOURS = { "在岗": "#43a047", "出动": "#fb8c00", "到场": "#e53935", "返回": "#1e88e5", "失联": "#757575" };

function csrf() {
  const m = document.cookie.match(/(?:^|;\s*)dc_csrf=([^;]*)/);
  return m ? decodeURIComponent(m[1]) : "";
}

// The one way this page talks to the server (the CSRF header on every change).
export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    headers["X-CSRF-Token"] = csrf();
    headers["Content-Type"] = "application/json";
  }
  const r = await fetch(path, {
    method, credentials: "same-origin", headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await r.json(); } catch { data = null; }
  return { ok: r.ok, status: r.status, body: data };
}

function toast(text, bad) {
  const el = $("toast");
  el.textContent = text;
  el.className = `toast${bad ? " bad" : ""}`;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 4000);
}

function failed(r) {
  const msg = (r.body && r.body.error && r.body.error.message) || `HTTP ${r.status}`;
  toast(`${t("failed")}: ${msg}`, true);
}

const fmtTime = (iso) => (iso ? iso.slice(5, 16).replace("T", " ") : "");
const age = (s) => (s == null ? "—" : s < 120 ? `${s}${t("sec")}` : `${Math.round(s / 60)}${t("min")}`);

// -- the map ------------------------------------------------------------------------------
const DC = window.DC_MAP;
const map = DC.map;
// Fractional zoom: the city fills the map's box at any aspect ratio.
map.options.zoomSnap = 0.1;
map.options.zoomDelta = 0.5;
// Metric scale only (the base map's control shows miles too).
document.querySelectorAll("#map_dc .leaflet-control-scale").forEach((el) => el.remove());
L.control.scale({ imperial: false }).addTo(map);
const fit = () => map.fitBounds(DC.city.getBounds(), { padding: [6, 6] });
new ResizeObserver(() => { map.invalidateSize(); fit(); }).observe($("map_dc"));
fit();

const state = { mode: null, teams: [], selected: new Set(), picked: null, pickMarker: null, pending: null, incidents: [] };
const countyLayers = {};
DC.counties.eachLayer((layer) => {
  const code = layer.feature && layer.feature.properties && layer.feature.properties.code;
  if (!code) return;
  countyLayers[code] = layer;
  layer.on("click", (ev) => {
    L.DomEvent.stopPropagation(ev);
    if (pickMode) { pickPlace(ev.latlng); return; }
    if (READ_ONLY) return;
    toggleCounty(code);
  });
});
let pickMode = false;
map.on("click", (ev) => { if (pickMode) pickPlace(ev.latlng); });

function modeOf(code) {
  const m = state.mode;
  if (!m) return { mode: "normal" };
  const s = (m.scopes || []).find((x) => x.county === code);
  return s || m.city_wide || { mode: m.mode };
}

function paintCounties() {
  for (const [code, layer] of Object.entries(countyLayers)) {
    const m = modeOf(code);
    const sel = state.selected.has(code);
    layer.setStyle({
      fillColor: MODE_COLOURS[m.mode] || "#1d3557",
      fillOpacity: m.mode === "normal" ? 0.18 : 0.45,
      color: sel ? "#ffffff" : "#7fa7d9",
      weight: sel ? 5 : 2,
    });
  }
}

const teamLayer = L.layerGroup().addTo(map);
const taskLayer = L.layerGroup().addTo(map);

function drawTeams() {
  teamLayer.clearLayers();
  taskLayer.clearLayers();
  for (const tm of state.teams) {
    if (tm.lon == null) continue;
    const colour = TEAM_COLOURS[tm.status] || "#999";
    L.circleMarker([tm.lat, tm.lon], { radius: 9, color: "#fff", weight: 2, fillColor: colour, fillOpacity: 1 })
      .bindTooltip(`${esc(tm.name)} · ${esc(tm.status)}`).addTo(teamLayer);
    const task = tm.tasking;
    if (task) {
      L.polyline([[tm.lat, tm.lon], [task.lat, task.lon]], { color: "#ff5252", weight: 3, dashArray: "8 6" }).addTo(taskLayer);
      L.circleMarker([task.lat, task.lon], { radius: 7, color: "#ff5252", weight: 3, fill: false })
        .bindTooltip(esc(task.place || task.order_number || "")).addTo(taskLayer);
    }
  }
}

function legend() {
  const modes = ["normal", "holiday", "emergency"].map((m) =>
    `<span><i class="sw" style="background:${MODE_COLOURS[m]}"></i>${esc(t(`mode.${m}`))}</span>`).join("");
  const teams = Object.entries(TEAM_COLOURS).map(([k, c]) =>
    `<span><i class="dot" style="background:${c}"></i>${esc(k)}</span>`).join("");
  $("hq-legend").innerHTML = `<b>${esc(t("legend"))}</b>${modes}${teams}<span><i class="line"></i>${esc(t("tasking"))}</span>`;
}

function pickPlace(latlng) {
  pickMode = false;
  document.body.classList.remove("picking");
  state.picked = { lon: +latlng.lng.toFixed(6), lat: +latlng.lat.toFixed(6) };
  if (state.pickMarker) state.pickMarker.remove();
  state.pickMarker = L.circleMarker(latlng, { radius: 8, color: "#00e5ff", weight: 3, fill: false }).addTo(map);
  $("s-picked").textContent = `${state.picked.lon}, ${state.picked.lat}`;
}

// -- modes --------------------------------------------------------------------------------
function renderCountyChips() {
  $("d-counties").innerHTML = CONFIG.counties.map((c) =>
    `<button type="button" class="chip${state.selected.has(c.code) ? " on" : ""}" data-county="${esc(c.code)}">${esc(c.name)}</button>`).join("");
}

function toggleCounty(code) {
  if (state.selected.has(code)) state.selected.delete(code); else state.selected.add(code);
  $("d-city").checked = false;
  renderCountyChips();
  paintCounties();
}

function renderModes() {
  const m = state.mode;
  if (!m) return;
  const title = m.title ? (CONFIG.lang === "en" ? m.title.en : m.title.zh) : t(`mode.${m.mode}`);
  $("hq-mode").innerHTML = `<span class="badge m-${esc(m.mode)}">${esc(title)}</span> ${esc(m.reason || "")}`;
  document.body.dataset.mode = m.mode;
  $("county-modes").innerHTML = CONFIG.counties.map((c) => {
    const x = modeOf(c.code);
    const et = x.emergency_type ? `·${t(`etype.${x.emergency_type}`)}` : "";
    return `<li data-county="${esc(c.code)}" data-mode="${esc(x.mode)}"><i class="sw" style="background:${MODE_COLOURS[x.mode]}"></i>${esc(c.name)} <b>${esc(t(`mode.${x.mode}`))}${esc(et)}</b></li>`;
  }).join("");
  paintCounties();
}

// A category pattern in words: "flood.*" is every 防汛 category, "flood.rescue" its name.
function catName(p) {
  const names = CONFIG.category_names || {};
  if (p.endsWith(".*")) { const stem = p.slice(0, -2); return names[stem] ? `${names[stem]}（全部）` : p; }
  return names[p] || p;
}

function effectsHtml(e) {
  if (!e) return `<div class="muted">${esc(t("none"))}</div>`;
  const list = (xs) => (xs.length ? xs.map((x) => esc(catName(x))).join("、") : t("none"));
  const co = e.co_dispatch.map((r) => `${list(r.categories)} → ${list(r.units)}`).join("<br>") || t("none");
  const seats = Object.entries(e.seats_on_duty).map(([k, [a, b]]) => `${esc(k)} ${a ?? "—"} → <b>${b ?? "—"}</b>`).join("，") || t("none");
  const limits = e.time_limits.map((l) => `${esc(catName(l.category || "*"))} ${esc(l.respond)} / ${esc(l.reply)}`).join("<br>") || t("none");
  return `<dl class="effects">
    <dt>${esc(t("urgent_categories"))}</dt><dd data-effect="urgent">${list(e.urgent_categories)}</dd>
    <dt>${esc(t("co_dispatch"))}</dt><dd data-effect="co_dispatch">${co}</dd>
    <dt>${esc(t("seats_on_duty"))}</dt><dd data-effect="seats">${seats}</dd>
    <dt>${esc(t("time_limits"))}</dt><dd>${limits}</dd>
    <dt>${esc(t("tighten_open"))}</dt><dd>${list(e.tighten_open)}</dd></dl>`;
}

function preview(mode) {
  const reason = $("d-reason").value.trim();
  const cityWide = $("d-city").checked;
  const scope = cityWide ? null : [...state.selected].sort();
  if (!reason) { toast(`${t("reason")}?`, true); $("d-reason").focus(); return; }
  if (!cityWide && !scope.length) { toast(`${t("counties")}?`, true); return; }
  const type = $("d-type").value;
  const body = { mode, reason };
  if (mode === "emergency") body.emergency_type = type;
  if (scope) body.scope = scope;
  state.pending = body;
  const key = mode === "emergency" ? `emergency:${type}` : mode;
  const where = scope ? scope.map((c) => COUNTY_NAME[c] || c).join("、") : t("city_wide");
  $("d-effects").innerHTML = `<div class="target"><b>${esc(t(`mode.${mode}`))}${mode === "emergency" ? `·${esc(t(`etype.${type}`))}` : ""}</b> · ${esc(where)}</div>${effectsHtml(CONFIG.effects[key])}`;
  $("d-preview").hidden = false;
}

async function confirmSwitch() {
  if (!state.pending) return;
  const r = await api("POST", "/api/v1/mode", state.pending);
  if (!r.ok) { failed(r); return; }
  state.pending = null;
  $("d-preview").hidden = true;
  $("d-reason").value = "";
  state.selected.clear();
  renderCountyChips();
  toast(t("saved"));
  await Promise.all([refreshMode(), refreshHistory()]);
}

function evidenceText(ev) {
  if (!ev || typeof ev !== "object") return "";
  const parts = [];
  for (const [k, v] of Object.entries(ev)) {
    if (v == null || typeof v === "object") continue;
    parts.push(`${k}: ${v}`);
  }
  return parts.join(" · ");
}

async function refreshSuggestions() {
  const r = await api("GET", "/api/v1/mode/suggestions?status=open");
  const list = r.ok ? r.body.suggestions || [] : [];
  $("sugg-count").textContent = list.length || "";
  $("suggestions").innerHTML = list.map((x) => `<li data-suggestion="${esc(x.id)}">
    <b>${esc(x.scope_label)}</b> ${esc(t(`mode.${x.mode}`))}${x.emergency_type ? `·${esc(t(`etype.${x.emergency_type}`))}` : ""} — ${esc(x.reason)}
    <div class="evidence"><span class="muted">${esc(t("evidence"))}:</span> ${esc(evidenceText(x.evidence))}</div>
    <div class="row buttons commander"><button type="button" data-sugg="accept" data-id="${esc(x.id)}" class="primary">${esc(t("accept"))}</button>
    <button type="button" data-sugg="dismiss" data-id="${esc(x.id)}">${esc(t("dismiss"))}</button></div></li>`).join("") || `<li class="muted">${esc(t("nothing"))}</li>`;
}

async function refreshWindows() {
  const r = await api("GET", "/api/v1/mode/holiday-windows?days=200");
  const list = r.ok ? r.body.windows || [] : [];
  $("windows").innerHTML = list.slice(0, 6).map((w) => `<li><b>${esc(w.name_zh || w.name)}</b> ${esc(w.first_day)} – ${esc(w.last_day)}
    ${w.scheduled ? `<span class="tag">${esc(t("scheduled"))}</span>` : `<button type="button" class="commander" data-window="${esc(w.key)}">${esc(t("schedule"))}</button>`}</li>`).join("") || `<li class="muted">${esc(t("nothing"))}</li>`;
}

async function refreshHistory() {
  const r = await api("GET", "/api/v1/mode/history?limit=15");
  const list = r.ok ? r.body.history || [] : [];
  $("history").innerHTML = list.map((h) => {
    const where = (h.scope || []).map((c) => COUNTY_NAME[c] || c).join("、") || t("city_wide");
    return `<li><span class="muted">${esc(fmtTime(h.at))}</span> ${esc(h.action)} ${esc(h.from || "")}→${esc(h.to || "")} · ${esc(where)} · <b>${esc(h.by)}</b> ${esc(h.reason || "")}</li>`;
  }).join("") || `<li class="muted">${esc(t("nothing"))}</li>`;
}

async function refreshMode() {
  const r = await api("GET", "/api/v1/mode");
  if (r.ok) { state.mode = r.body; renderModes(); }
}

// -- teams --------------------------------------------------------------------------------
function renderTeams() {
  $("teams-count").textContent = state.teams.length || "";
  $("teams").innerHTML = state.teams.map((tm) => {
    const task = tm.tasking;
    const what = task ? esc(task.order_number || task.place || `${task.lon},${task.lat}`) : "";
    const done = task && !READ_ONLY ? `<button type="button" data-done="${esc(tm.code)}">${esc(t("done"))}</button>` : "";
    return `<tr data-team="${esc(tm.code)}" data-status="${esc(tm.status)}"><td>${esc(tm.name)}</td>
      <td><i class="dot" style="background:${TEAM_COLOURS[tm.status] || "#999"}"></i>${esc(tm.status)}${(tm.in_warning || []).length ? ` <span class="tag warn" title="${esc(tm.in_warning.join("；"))}">${esc(t("in_warning"))}</span>` : ""}</td>
      <td>${esc(age(tm.age_s))}</td><td>${what}</td><td>${done}</td></tr>`;
  }).join("");
  drawTeams();
}

async function refreshTeams() {
  const r = await api("GET", "/api/v1/teams");
  if (r.ok) { state.teams = r.body.items || []; renderTeams(); }
}

// An order as people read it (LS2026…; an internal id still works): its id and place, or
// why not, in words the room understands.
async function findOrder(ref) {
  const r = /^\d+$/.test(ref)
    ? await api("GET", `/api/v1/orders/${encodeURIComponent(ref)}`)
    : await api("GET", `/api/v1/orders?number=${encodeURIComponent(ref)}&limit=1`);
  const o = r.ok ? (r.body.orders ? r.body.orders[0] : r.body) : null;
  if (!o) return { error: `${t("no_order")}: ${ref}` };
  const loc = o.location;
  return { id: String(o.id), number: o.number, lon: loc ? loc.lon : null, lat: loc ? loc.lat : null };
}

async function orderPlace(ref) {
  const o = await findOrder(ref);
  if (!o.error && o.lon === null) return { error: `${t("order_no_place")}: ${ref}` };
  return o;
}

async function suggestNearest() {
  const ref = $("s-order").value.trim();
  let where = state.picked;
  let order = null;
  if (ref) {
    order = await orderPlace(ref);
    if (order.error) { toast(order.error, true); return; }
    where = order;
  }
  if (!where) { toast(t("or_pick"), true); pickMode = true; document.body.classList.add("picking"); return; }
  const r = await api("GET", `/api/v1/teams/nearest?lon=${where.lon}&lat=${where.lat}&n=5`);
  if (!r.ok) { failed(r); return; }
  const label = r.body.distance_kind === "straight_line" ? t("straight_line") : "";
  $("nearest").innerHTML = r.body.items.map((x) => `<li data-near="${esc(x.code)}"><b>${esc(x.name)}</b> ${esc(x.status)}
    · ${esc(label)} ${(x.distance_m / 1000).toFixed(1)} km${x.eta_s ? ` · ${Math.round(x.eta_s / 60)} ${esc(t("min"))}` : ""}
    <button type="button" class="primary" data-send="${esc(x.code)}" data-order="${esc(order ? order.id : "")}">${esc(t("send"))}</button></li>`).join("") || `<li class="muted">${esc(t("nothing"))}</li>`;
}

async function sendTeam(code, orderId) {
  const note = $("s-note").value.trim() || undefined;
  const body = orderId ? { order_id: orderId, note } : { ...state.picked, note };
  const r = await api("POST", `/api/v1/teams/${encodeURIComponent(code)}/tasks`, body);
  if (!r.ok) { failed(r); return; }
  toast(`${t("saved")}: ${r.body.team_name}`);
  $("nearest").innerHTML = "";
  await refreshTeams();
}

// -- incidents ----------------------------------------------------------------------------
function renderIncidents() {
  $("inc-count").textContent = state.incidents.filter((x) => x.status === "open").length || "";
  $("incidents").innerHTML = state.incidents.map((x) => {
    const open = x.status === "open";
    const log = (x.log || []).slice(-6).map((l) => `<li><span class="muted">${esc(fmtTime(l.at))}</span> ${esc(l.text)} <span class="muted">${esc(l.actor)}</span></li>`).join("");
    const orders = (x.orders || []).map((o) => esc(o.number)).join("、");
    const tools = open && !READ_ONLY ? `<div class="row inc-tools">
      <input data-inc-input="order" placeholder="${esc(t("attach_order"))}"><button type="button" data-inc="order" data-id="${esc(x.id)}">${esc(t("attach_order"))}</button>
      <input data-inc-input="team" placeholder="${esc(t("send_team"))}"><button type="button" data-inc="team" data-id="${esc(x.id)}">${esc(t("send"))}</button>
      <input data-inc-input="note" placeholder="${esc(t("note"))}"><button type="button" data-inc="note" data-id="${esc(x.id)}">${esc(t("add_note"))}</button>
      <input data-inc-input="summary" placeholder="${esc(t("summary"))}"><button type="button" data-inc="close" data-id="${esc(x.id)}">${esc(t("close_incident"))}</button></div>` : "";
    return `<article class="incident" data-incident="${esc(x.id)}"><h3>${esc(x.title)} ${open ? "" : `<span class="tag">${esc(t("closed"))}</span>`}</h3>
      <div class="muted">${esc(x.place || "")} ${(x.counties || []).map((c) => esc(COUNTY_NAME[c] || c)).join("、")}</div>
      ${orders ? `<div>${orders}</div>` : ""}${x.summary ? `<div class="summary">${esc(x.summary)}</div>` : ""}
      <ul class="list small">${log}</ul>${tools}</article>`;
  }).join("") || `<div class="muted">${esc(t("nothing"))}</div>`;
}

async function refreshIncidents() {
  const r = await api("GET", "/api/v1/incidents");
  if (!r.ok) return;
  const items = (r.body.items || []).slice(0, 6);
  state.incidents = (await Promise.all(items.map((x) => api("GET", `/api/v1/incidents/${x.id}`)))).filter((x) => x.ok).map((x) => x.body);
  renderIncidents();
}

async function incidentAction(kind, id, article) {
  const val = (k) => (article.querySelector(`[data-inc-input="${k}"]`).value || "").trim();
  let r;
  if (kind === "order") {
    const ref = val("order");
    if (!ref) { article.querySelector('[data-inc-input="order"]').focus(); return; }
    const o = await findOrder(ref);
    if (o.error) { toast(o.error, true); return; }
    r = await api("POST", `/api/v1/incidents/${id}/orders`, { order_ids: [o.id] });
  } else if (kind === "team") r = await api("POST", `/api/v1/incidents/${id}/teams`, { code: val("team") });
  else if (kind === "note") r = await api("POST", `/api/v1/incidents/${id}/notes`, { text: val("note") });
  else r = await api("POST", `/api/v1/incidents/${id}/close`, { summary: val("summary") });
  if (!r.ok) { failed(r); return; }
  toast(t("saved"));
  await Promise.all([refreshIncidents(), refreshTeams()]);
}

async function openIncident() {
  const title = $("i-title").value.trim();
  if (!title) { $("i-title").focus(); return; }
  const body = { title, place: $("i-place").value.trim() || undefined, counties: [...state.selected].sort() };
  // Where teams are sent: the place picked on the map, else the middle of the first county.
  if (state.picked) Object.assign(body, state.picked);
  else if (body.counties.length && countyLayers[body.counties[0]]) {
    const c = countyLayers[body.counties[0]].getBounds().getCenter();
    Object.assign(body, { lon: +c.lng.toFixed(6), lat: +c.lat.toFixed(6) });
  }
  const r = await api("POST", "/api/v1/incidents", body);
  if (!r.ok) { failed(r); return; }
  $("i-title").value = "";
  toast(t("saved"));
  await refreshIncidents();
}

// -- events -------------------------------------------------------------------------------
document.addEventListener("click", async (ev) => {
  const el = ev.target.closest("button");
  if (!el) return;
  if (el.dataset.county) { toggleCounty(el.dataset.county); return; }
  if (el.id === "d-preview-declare") preview("emergency");
  else if (el.id === "d-preview-end") preview("normal");
  else if (el.id === "d-confirm") await confirmSwitch();
  else if (el.id === "d-cancel") { state.pending = null; $("d-preview").hidden = true; }
  else if (el.dataset.sugg) {
    const r = await api("POST", `/api/v1/mode/suggestions/${el.dataset.id}/${el.dataset.sugg}`, {});
    if (!r.ok) failed(r); else toast(t("saved"));
    await Promise.all([refreshSuggestions(), refreshMode(), refreshHistory()]);
  } else if (el.dataset.window) {
    const r = await api("POST", `/api/v1/mode/holiday-windows/${encodeURIComponent(el.dataset.window)}/confirm`, {});
    if (!r.ok) failed(r); else toast(t("saved"));
    await Promise.all([refreshWindows(), refreshHistory()]);
  } else if (el.id === "s-pick") { pickMode = true; document.body.classList.add("picking"); }
  else if (el.id === "s-nearest") await suggestNearest();
  else if (el.dataset.send) await sendTeam(el.dataset.send, el.dataset.order);
  else if (el.dataset.done) {
    const r = await api("POST", `/api/v1/teams/${encodeURIComponent(el.dataset.done)}/tasks/current/done`, {});
    if (!r.ok) failed(r);
    await refreshTeams();
  } else if (el.id === "i-open") await openIncident();
  else if (el.dataset.inc) await incidentAction(el.dataset.inc, el.dataset.id, el.closest("article"));
});

$("d-type").innerHTML = CONFIG.emergency_types.map((x) => `<option value="${esc(x)}">${esc(t(`etype.${x}`))}</option>`).join("");
$("d-city").addEventListener("change", () => { if ($("d-city").checked) { state.selected.clear(); renderCountyChips(); paintCounties(); } });
renderCountyChips();
legend();
refreshMode();
refreshTeams();
refreshSuggestions();
refreshWindows();
refreshHistory();
refreshIncidents();
setInterval(refreshMode, 3000);
setInterval(refreshTeams, 5000);
setInterval(() => { refreshSuggestions(); refreshHistory(); refreshIncidents(); }, 15000);
window.DC_HQ = { state, api, refreshTeams, refreshMode };
