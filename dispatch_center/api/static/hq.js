// The HQ command console: modes per county on the map, declare/end/schedule through the
// mode API, suggestions with their evidence, the switch history, the team board with
// send-a-team (nearest suggested), incidents. Signed in by the HttpOnly session cookie;
// every state-changing request goes through window.dc.send (the CSRF header).
const CONFIG = JSON.parse(document.getElementById("hq-config").textContent);
const S = CONFIG.strings;
const t = (k) => S[k] ?? k;
const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const $ = (id) => document.getElementById(id);
const READ_ONLY = CONFIG.who.read_only;
const COUNTY_NAME = Object.fromEntries(CONFIG.counties.map((c) => [c.code, c.name]));

export const MODE_COLOURS = { normal: "#2e7d32", holiday: "#f9a825", emergency: "#d32f2f" };
export const TEAM_COLOURS = { "在岗": "#43a047", "出动": "#fb8c00", "到场": "#e53935", "返回": "#1e88e5", "失联": "#757575" };

// The one way this page talks to the server: window.dc.send (the shared http.js, loaded
// by the header) signs every change with the CSRF header.
export async function api(method, path, body) {
  const r = await window.dc.send(method, path, method === "GET" ? undefined : body, { headers: { Accept: "application/json" } });
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
const incidentLayer = L.layerGroup().addTo(map);
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
  $("hq-legend").innerHTML = `<b>${esc(t("legend"))}</b>${modes}${teams}<span><i class="line"></i>${esc(t("tasking"))}</span><span><i class="dot" style="background:#d32f2f"></i>${esc(t("incidents"))}</span>`;
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

const metres = (v) => (v == null || v === "" ? null : Number(v));

// The evidence as the room reads it: the warning's own words, the gauge's reading against
// its marks, the crowd against the capacity (anything else: its fields as they are).
function evidenceHtml(x) {
  const ev = x.evidence || {};
  const head = `<span class="muted">${esc(t("evidence"))}:</span> `;
  if (x.kind === "cap_alert") {
    const meta = [ev.sender, ev.severity && `${t("ev.severity")} ${ev.severity}`, ev.area_desc].filter(Boolean).map(esc).join(" · ");
    return `<div class="evidence" data-evidence="cap">${head}<b>${esc(ev.headline || ev.event || "")}</b>
      ${ev.description ? `<blockquote class="cap-text">${esc(ev.description)}</blockquote>` : ""}
      <div class="muted">${meta}</div></div>`;
  }
  if (x.kind === "river_gauge") {
    const [z, w, g] = [metres(ev.level_m), metres(ev.warning_level_m), metres(ev.guarantee_level_m)];
    if (z == null || w == null) return `<div class="evidence">${head}${esc(evidenceText(ev))}</div>`;
    const over = z - w;
    const marks = [`<span>${esc(t("ev.level"))} <b>${z.toFixed(2)} m</b></span>`,
      `<span>${esc(t("ev.warning_mark"))} ${w.toFixed(2)} m（<b class="${over > 0 ? "over" : ""}">${over > 0 ? "+" : ""}${over.toFixed(2)} m</b>）</span>`];
    if (g != null) marks.push(`<span>${esc(t("ev.guarantee_mark"))} ${g.toFixed(2)} m（${(z - g).toFixed(2)} m）</span>`);
    // The reading on a scale from a metre under the warning mark to the guarantee mark.
    const lo = w - 1, hi = Math.max(g ?? w + 1, z);
    const pos = (v) => `${Math.max(0, Math.min(100, ((v - lo) / (hi - lo)) * 100)).toFixed(1)}%`;
    const bar = `<div class="gauge-bar"><i class="mark warn" style="left:${pos(w)}"></i>${g != null ? `<i class="mark guar" style="left:${pos(g)}"></i>` : ""}<i class="level" style="width:${pos(z)}"></i></div>`;
    return `<div class="evidence" data-evidence="gauge">${head}${esc(ev.station_name || ev.station_id || "")} ${marks.join(" · ")}${bar}</div>`;
  }
  if (x.kind === "scenic_capacity" && ev.capacity) {
    const pct = Math.round((ev.count / ev.capacity) * 100);
    return `<div class="evidence" data-evidence="crowd">${head}${esc(ev.area_name || ev.area_id || "")} ${esc(t("ev.count"))} <b>${esc(ev.count)}</b> / ${esc(t("ev.capacity"))} ${esc(ev.capacity)}（<b class="over">${pct}%</b>）</div>`;
  }
  return `<div class="evidence">${head}${esc(evidenceText(ev))}</div>`;
}

async function refreshSuggestions() {
  const r = await api("GET", "/api/v1/mode/suggestions?status=open");
  const list = r.ok ? r.body.suggestions || [] : [];
  // Redrawn every few seconds: a note being typed survives it.
  const typed = [...document.querySelectorAll("#suggestions [data-sugg-note]")]
    .map((el) => [el.closest("li").dataset.suggestion, el.value, el === document.activeElement]);
  $("sugg-count").textContent = list.length || "";
  $("suggestions").innerHTML = list.map((x) => `<li data-suggestion="${esc(x.id)}" data-kind="${esc(x.kind)}">
    <b>${esc(x.scope_label)}</b> ${esc(t(`mode.${x.mode}`))}${x.emergency_type ? `·${esc(t(`etype.${x.emergency_type}`))}` : ""} — ${esc(x.reason)}
    <div class="muted small">${esc(t("raised_at"))} ${esc(fmtTime(x.raised_at))}${x.seen_count > 1 ? ` · ${esc(t("seen_times").replace("{n}", x.seen_count))}` : ""}</div>
    ${evidenceHtml(x)}
    <div class="row buttons commander"><input data-sugg-note placeholder="${esc(t("decision_note"))}" maxlength="1000">
    <button type="button" data-sugg="accept" data-id="${esc(x.id)}" class="primary">${esc(t("accept"))}</button>
    <button type="button" data-sugg="dismiss" data-id="${esc(x.id)}">${esc(t("dismiss"))}</button></div></li>`).join("") || `<li class="muted">${esc(t("nothing"))}</li>`;
  for (const [id, value, focused] of typed) {
    const el = document.querySelector(`#suggestions li[data-suggestion="${id}"] [data-sugg-note]`);
    if (!el) continue;
    el.value = value;
    if (focused) el.focus();
  }
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
    const what = S[`act.${h.action}`] ?? h.action;
    const mode = (m) => (m ? S[`mode.${m}`] ?? m : "");
    return `<li data-action="${esc(h.action)}"><span class="muted">${esc(fmtTime(h.at))}</span> ${esc(what)} ${esc(mode(h.from))}→${esc(mode(h.to))} · ${esc(where)} · <b>${esc(h.by)}</b> ${esc(h.reason || "")}</li>`;
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
// The teams free to send (no tasking, not out of contact), for an incident's team list.
function freeTeams() {
  return state.teams.filter((tm) => !tm.tasking && tm.status !== "失联" && tm.lon != null)
    .map((tm) => `<option value="${esc(tm.code)}">${esc(tm.name)} · ${esc(tm.status)}</option>`).join("");
}

function renderIncidents() {
  // A refresh redraws the articles: what someone is typing in one survives it.
  const typed = [...document.querySelectorAll("#incidents [data-inc-input]")]
    .map((el) => [el.closest("article").dataset.incident, el.dataset.incInput, el.value, el === document.activeElement]);
  $("inc-count").textContent = state.incidents.filter((x) => x.status === "open").length || "";
  const free = freeTeams();
  $("incidents").innerHTML = state.incidents.map((x) => {
    const open = x.status === "open";
    const log = (x.log || []).slice(-8).map((l) => `<li data-log="${esc(l.kind)}"><span class="muted">${esc(fmtTime(l.at))}</span> ${esc(l.text)} <span class="muted">${esc(l.actor)}</span></li>`).join("");
    const orders = (x.orders || []).map((o) => `<span class="tag" data-inc-order="${esc(o.number)}">${esc(o.number)}</span>`).join("");
    const teams = (x.tasks || []).map((tk) => `<span class="tag" data-inc-team="${esc(tk.team_code)}">${esc(tk.team_name || tk.team_code)} ${esc(t(`task.${tk.state}`))}</span>`).join("");
    const tools = open && !READ_ONLY ? `<div class="inc-tools">
      <input data-inc-input="order" placeholder="${esc(t("order_id"))}"><button type="button" data-inc="order" data-id="${esc(x.id)}">${esc(t("attach_order"))}</button>
      <select data-inc-input="team"><option value="">${esc(t("pick_team"))}</option>${free}</select><button type="button" data-inc="team" data-id="${esc(x.id)}">${esc(t("send_here"))}</button>
      <input data-inc-input="note" placeholder="${esc(t("note"))}"><button type="button" data-inc="note" data-id="${esc(x.id)}">${esc(t("add_note"))}</button>
      <textarea data-inc-input="summary" rows="2" placeholder="${esc(t("summary_hint"))}"></textarea><button type="button" data-inc="close" data-id="${esc(x.id)}">${esc(t("close_incident"))}</button></div>` : "";
    return `<article class="incident" data-incident="${esc(x.id)}" data-status="${esc(x.status)}"><h3>${esc(x.title)} ${open ? "" : `<span class="tag">${esc(t("closed"))}</span>`}</h3>
      <div class="muted">${esc(x.place || "")} ${(x.counties || []).map((c) => esc(COUNTY_NAME[c] || c)).join("、")}</div>
      ${orders ? `<div class="inc-line"><span class="muted">${esc(t("orders"))}</span> ${orders}</div>` : ""}
      ${teams ? `<div class="inc-line"><span class="muted">${esc(t("teams"))}</span> ${teams}</div>` : ""}
      ${x.summary ? `<div class="summary"><span class="muted">${esc(t("summary"))}:</span> ${esc(x.summary)}</div>` : ""}
      <div class="muted small">${esc(t("log"))}</div><ul class="list small inc-log">${log}</ul>${tools}</article>`;
  }).join("") || `<div class="muted">${esc(t("nothing"))}</div>`;
  // The open incidents on the console's map, as on the wall's.
  incidentLayer.clearLayers();
  for (const x of state.incidents) {
    if (x.status !== "open" || x.lon == null || x.lat == null) continue;
    L.circleMarker([x.lat, x.lon], { radius: 11, color: "#fff", weight: 3, fillColor: "#d32f2f", fillOpacity: 1 })
      .bindTooltip(esc(x.title), { direction: "top" }).addTo(incidentLayer); // hover: the panel beside names it
  }
  for (const [id, key, value, focused] of typed) {
    const el = document.querySelector(`#incidents article[data-incident="${id}"] [data-inc-input="${key}"]`);
    if (!el) continue;
    if (el.tagName !== "SELECT" || [...el.options].some((o) => o.value === value)) el.value = value;
    if (focused) el.focus();
  }
}

async function refreshIncidents() {
  const r = await api("GET", "/api/v1/incidents");
  if (!r.ok) return;
  const items = (r.body.items || []).slice(0, 6);
  state.incidents = (await Promise.all(items.map((x) => api("GET", `/api/v1/incidents/${x.id}`)))).filter((x) => x.ok).map((x) => x.body);
  renderIncidents();
}

async function incidentAction(kind, id, article) {
  const input = (k) => article.querySelector(`[data-inc-input="${k}"]`);
  const val = (k) => (input(k).value || "").trim();
  // Each action needs its field filled: an empty one is pointed at, not sent.
  const need = { order: "order", team: "team", note: "note", close: "summary" }[kind];
  if (!val(need)) { input(need).focus(); toast(`${t(need === "team" ? "pick_team" : need === "order" ? "order_id" : need)}?`, true); return; }
  let r;
  if (kind === "order") {
    const o = await findOrder(val("order"));
    if (o.error) { toast(o.error, true); return; }
    r = await api("POST", `/api/v1/incidents/${id}/orders`, { order_ids: [o.id] });
  } else if (kind === "team") r = await api("POST", `/api/v1/incidents/${id}/teams`, { code: val("team") });
  else if (kind === "note") r = await api("POST", `/api/v1/incidents/${id}/notes`, { text: val("note") });
  else r = await api("POST", `/api/v1/incidents/${id}/close`, { summary: val("summary") });
  if (!r.ok) { failed(r); return; }
  toast(t("saved"));
  input(need).value = ""; // done: the redraw must not offer it again
  await refreshTeams();
  await refreshIncidents();
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
  $("i-place").value = "";
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
    // The note says why (a dismissal above all); the history keeps it with who decided.
    const note = (el.closest("li").querySelector("[data-sugg-note]").value || "").trim();
    const r = await api("POST", `/api/v1/mode/suggestions/${el.dataset.id}/${el.dataset.sugg}`, note ? { note } : {});
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
// A suggestion is raised by a feed at any moment: the console looks for one every 5 s.
setInterval(refreshSuggestions, 5000);
setInterval(() => { refreshHistory(); refreshIncidents(); }, 15000);
window.DC_HQ = { state, api, refreshTeams, refreshMode };
