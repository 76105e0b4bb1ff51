// The handlers' workbench (承办工作台): lists, an order's card, the actions, and a queue of
// actions taken offline that is sent when the network returns, each once (client_id).
// Page data comes from the JSON block (api/routes/workbench.page_data); no token here: the
// requests carry the session cookie, and every state change the CSRF header.

const CFG = JSON.parse(document.getElementById("dc-handler").textContent);
const S = CFG.strings;
const $ = (sel) => document.querySelector(sel);
const QKEY = `dc-handler-queue:${CFG.user}`;
const OKEY = `dc-handler-orders:${CFG.user}`;
const TABS = ["to_accept", "in_hand", "due_soon", "overdue", "supervision"];
const WORKED = new Set(["dispatched", "accepted", "in_progress"]);

export function t(key, vars = {}) {
  let text = S[key] ?? key;
  for (const [k, v] of Object.entries(vars)) text = text.replace(`{${k}}`, v);
  return text;
}

export function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

// --- talking to the server ------------------------------------------------------------------

function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)dc_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
}

// Every request of the page goes through here: the cookie, and on a change the CSRF header.
// A network failure throws (TypeError); an answer of any status returns.
export async function send(method, url, body, contentType) {
  const init = { method, credentials: "same-origin", headers: {} };
  if (method !== "GET") init.headers["X-CSRF-Token"] = csrfToken();
  if (body instanceof Blob) {
    init.body = body;
    init.headers["Content-Type"] = contentType || body.type;
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const r = await fetch(url, init);
  let data = null;
  try { data = await r.json(); } catch { data = null; }
  return { status: r.status, ok: r.ok, data };
}

// --- state ---------------------------------------------------------------------------------

const state = { orders: new Map(), supervision: [], tab: "to_accept", open: null, children: null, areas: null };
let queue = JSON.parse(localStorage.getItem(QKEY) || "[]");
const saveQueue = () => { localStorage.setItem(QKEY, JSON.stringify(queue)); showSync(); };
const saveOrders = () => localStorage.setItem(OKEY, JSON.stringify({ orders: [...state.orders.values()], supervision: state.supervision }));

function showSync() {
  const el = $("#sync");
  el.hidden = queue.length === 0;
  el.textContent = t("pending_sync", { n: queue.length });
}

function mine(o) { return CFG.role === "admin" || (o.assigned_unit && o.assigned_unit.code === CFG.unit); }
function myPart(o) { return (o.co_parts || []).find((p) => p.unit.code === CFG.unit); }

export function bucketOf(o) {
  if (o._gone || !WORKED.has(o.status)) return null;
  if (o.overdue) return "overdue";
  if (o.due_soon) return "due_soon";
  const part = myPart(o);
  if ((mine(o) && o.status === "dispatched") || (part && part.state === "dispatched")) return "to_accept";
  return "in_hand";
}

async function load() {
  try {
    const statuses = [...WORKED].map((s) => `status=${s}`).join("&");
    const [o, my] = await Promise.all([
      send("GET", `/api/v1/orders?${statuses}&limit=300`),
      send("GET", "/api/v1/supervision/my"),
    ]);
    if (o.ok) state.orders = new Map(o.data.orders.map((x) => [x.id, x]));
    if (my.ok) state.supervision = (my.data.supervision_orders || []).filter((s) => s.status === "open");
    saveOrders();
  } catch {
    const cached = JSON.parse(localStorage.getItem(OKEY) || "null");
    if (cached) {
      state.orders = new Map(cached.orders.map((x) => [x.id, x]));
      state.supervision = cached.supervision;
    }
  }
  for (const item of queue) applyLocally(item);
  render();
}

// --- lists ---------------------------------------------------------------------------------

function left(iso) {
  const ms = new Date(iso).getTime() - Date.now();
  const abs = Math.abs(ms);
  const d = Math.floor(abs / 86400000), h = Math.floor((abs % 86400000) / 3600000), m = Math.floor((abs % 3600000) / 60000);
  const parts = d ? [t("days", { n: d }), t("hours", { n: h })] : h ? [t("hours", { n: h }), t("minutes", { n: m })] : [t("minutes", { n: m })];
  return { late: ms < 0, text: t(ms < 0 ? "late_by" : "remaining", { t: parts.join("") }) };
}

function countdown(iso) {
  if (!iso) return "";
  const l = left(iso);
  return `<span class="countdown${l.late ? " late" : ""}" data-due="${esc(iso)}">${esc(l.text)}</span>`;
}

function internalDue(o) {
  const last = (o.delegation || []).at(-1);
  return last && last.child.code === (o.assigned_unit && o.assigned_unit.code) ? last.due : null;
}

function render() {
  const counts = Object.fromEntries(TABS.map((k) => [k, 0]));
  const buckets = new Map();
  for (const o of state.orders.values()) {
    const b = bucketOf(o);
    if (b) { counts[b] += 1; buckets.set(o.id, b); }
  }
  counts.supervision = state.supervision.length;
  $("#tabs").innerHTML = TABS.map((k) =>
    `<button type="button" data-tab="${k}" class="tab${state.tab === k ? " on" : ""}${k === "overdue" && counts[k] ? " alarm" : ""}">` +
    `<span>${esc(t(k))}</span><b class="count">${counts[k]}</b></button>`).join("");
  let html;
  if (state.tab === "supervision") {
    html = state.supervision.map((s) => `<article class="item" data-order="${esc(s.order_id)}" data-sid="${esc(s.id)}">` +
      `<div class="row"><b>${esc(s.order_number || s.order_id)}</b><span class="badge sup">${esc(s.level_label)}</span></div>` +
      `<p>${esc(s.requirement)}</p><div class="row small"><span>${esc(t("supervision_due"))}</span>${countdown(s.answer_by)}</div></article>`).join("");
  } else {
    const rows = [...state.orders.values()].filter((o) => buckets.get(o.id) === state.tab);
    rows.sort((a, b) => new Date(a.deadlines.reply_by) - new Date(b.deadlines.reply_by));
    html = rows.map(itemHtml).join("");
  }
  $("#list").innerHTML = html || `<p class="empty">${esc(t("empty"))}</p>`;
  showSync();
}

function itemHtml(o) {
  const held = mine(o) ? "" : myPart(o) ? `<span class="badge co">${esc(t("parts"))}</span>` :
    `<span class="badge down">${esc(t("passed_down", { unit: o.assigned_unit ? o.assigned_unit.name || o.assigned_unit.code : "" }))}</span>`;
  const pending = o._pending ? `<span class="badge pending">${esc(t("pending_sync", { n: o._pending }))}</span>` : "";
  return `<article class="item${o.overdue ? " overdue" : ""}" data-order="${esc(o.id)}">` +
    `<div class="row"><b>${esc(o.number)}</b><span class="badge">${esc(t(`status_${o.status}`))}</span></div>` +
    `<p class="words">${esc(o.description)}</p>` +
    `<div class="row small"><span>${esc(o.category && o.category.name || "")}</span>${countdown(o.deadlines.reply_by)}</div>` +
    `<div class="row small">${held}${pending}</div></article>`;
}

// --- an order's card -----------------------------------------------------------------------

async function openOrder(id, sid) {
  let o = state.orders.get(id);
  try {
    const r = await send("GET", `/api/v1/orders/${encodeURIComponent(id)}`);
    if (r.ok) {
      o = { ...r.data, _pending: o && o._pending };
      for (const item of queue) if (item.order_id === id) applyLocally(item, o);
      state.orders.set(id, o);
    }
  } catch { /* offline: the cached order */ }
  if (!o) return;
  const again = state.open && state.open.id === id;
  state.open = { id, sid };
  showCard(o, sid);
  if (!again) window.scrollTo(0, 0);
}

function showCard(o, sid) {
  $("#list").hidden = true;
  $("#tabs").hidden = true;
  const card = $("#card");
  card.hidden = false;
  card.innerHTML = cardHtml(o, sid);
  drawMap(o);
}

function closeOrder() {
  state.open = null;
  $("#card").hidden = true;
  $("#list").hidden = false;
  $("#tabs").hidden = false;
  render();
}

function tierPath(o) {
  const path = ((o.routing && o.routing.path) || []).map((p) => p.name);
  const chain = (o.delegation || []).map((d) => d.child.name || d.child.code);
  const lead = o.lead_unit ? [o.lead_unit.name || o.lead_unit.code] : [];
  return { where: path.join(" › "), who: [...lead, ...chain].join(" → ") };
}

function actionsFor(o, sid) {
  const acts = [...(o.allowed_actions || [])].filter((a) => a in S);
  const sup = state.supervision.find((s) => s.order_id === o.id && (!sid || s.id === sid));
  const buttons = acts.map((a) => `<button type="button" class="act act-${a}" data-act="${a}">${esc(t(a))}</button>`);
  if (sup) buttons.push(`<button type="button" class="act act-sup" data-act="answer_supervision" data-sid="${esc(sup.id)}">${esc(t("answer_supervision"))}</button>`);
  return buttons.join("");
}

function cardHtml(o, sid) {
  const path = tierPath(o);
  const phone = o.reporter && o.reporter.phone;
  const dial = phone && !phone.includes("*") ? `<a class="dial" href="tel:${esc(phone.replace(/[^\d+]/g, ""))}">${esc(t("call"))} ${esc(phone)}</a>` : esc(phone || "");
  const due = internalDue(o);
  const parts = (o.co_parts || []).map((p) => `<li><b>${esc(p.unit.name || p.unit.code)}</b> ${esc(t(`part_${p.state}`))} ${esc(p.text || "")}</li>`).join("");
  const history = (o.timeline || []).map((e) => {
    const photos = ((e.data && e.data.photos) || []).map((p) => `<img alt="" loading="lazy" src="/api/v1/orders/${esc(o.id)}/photos/${esc(p.id)}">`).join("");
    const where = e.data && e.data.unit_name ? ` → ${esc(e.data.unit_name)}` : "";
    return `<li><time>${esc((e.at || "").slice(5, 16).replace("T", " "))}</time> <b>${esc(CFG.action_labels[e.action] || e.action)}</b>${where} <span class="by">${esc(e.actor)}</span>` +
      (e.note ? `<div class="note">${esc(e.note)}</div>` : "") + (photos ? `<div class="photos">${photos}</div>` : "") + "</li>";
  }).join("");
  return `<div class="cardhead"><button type="button" id="back" class="back">‹ ${esc(t("back"))}</button><b>${esc(o.number)}</b><span class="badge">${esc(o.status_label || o.status)}</span></div>` +
    `<div id="conflicts"></div>` +
    `<section class="block"><h2>${esc(t("citizen_words"))}</h2><p class="words big">${esc(o.description)}</p>` +
    `<p class="small">${esc(t("address"))}：${esc(o.address || "")}</p>` +
    `<p class="small">${esc(t("reporter"))}：${esc(o.reporter && o.reporter.name || "")} ${dial}</p></section>` +
    (o.location ? `<div id="minimap" class="minimap"></div>` : "") +
    `<section class="block deadlines"><div class="row"><span>${esc(t("reply_by"))} ${esc((o.deadlines.reply_by || "").slice(0, 16).replace("T", " "))}</span>${countdown(o.deadlines.reply_by)}</div>` +
    (due ? `<div class="row"><span>${esc(t("internal_due"))} ${esc(due.slice(0, 16).replace("T", " "))}</span>${countdown(due)}</div>` : "") + `</section>` +
    `<section class="block"><h2>${esc(t("tier_path"))}</h2><p class="small">${esc(path.where)}</p><p class="chain">${esc(path.who)}</p></section>` +
    (parts ? `<section class="block"><h2>${esc(t("parts"))}</h2><ul class="parts">${parts}</ul></section>` : "") +
    `<div class="actions">${actionsFor(o, sid)}</div>` +
    `<section class="block"><h2>${esc(t("history"))}</h2><ol class="history">${history}</ol></section>`;
}

async function drawMap(o) {
  if (!o.location || !window.L) return;
  const map = window.L.map("minimap", { zoomControl: false, attributionControl: false, zoomAnimation: false, fadeAnimation: false }).setView([o.location.lat, o.location.lon], 13);
  try {
    if (!state.areas) {
      const r = await send("GET", "/api/v1/geo/areas?tier=3&simplify=0.002");
      if (r.ok) state.areas = r.data;
    }
  } catch { /* offline: the service worker's copy, or the marker alone */ }
  // The township or street the place is in, whole on the small map, named.
  const here = ((o.routing && o.routing.path) || []).find((p) => p.tier === 3);
  if (state.areas) {
    window.L.geoJSON(state.areas, {
      style: (f) => ({ color: "#0f5fa8", weight: here && f.properties.code === here.code ? 3 : 1, fillColor: "#cfe3f7", fillOpacity: here && f.properties.code === here.code ? 0.35 : 0.1 }),
      interactive: false,
      onEachFeature: (f, layer) => {
        if (!here || f.properties.code !== here.code) return;
        layer.bindTooltip(esc(f.properties.name || ""), { permanent: true, direction: "top", offset: [0, -14], className: "area-label" });
        map.fitBounds(layer.getBounds(), { padding: [12, 12], animate: false });
      },
    }).addTo(map);
  }
  window.L.circleMarker([o.location.lat, o.location.lon], { radius: 9, color: "#c62828", fillColor: "#e53935", fillOpacity: 0.9 }).addTo(map);
}

// --- actions: a form, then the queue -------------------------------------------------------

function field(label, control) { return `<label class="field"><span>${esc(label)}</span>${control}</label>`; }
const options = (entries) => entries.map(([v, l]) => `<option value="${esc(v)}">${esc(l)}</option>`).join("");

async function children() {
  if (state.children) return state.children;
  const key = `dc-handler-children:${CFG.unit}`;
  try {
    const r = await send("GET", `/api/v1/units/${encodeURIComponent(CFG.unit || "")}/children`);
    if (r.ok) { state.children = r.data.units; localStorage.setItem(key, JSON.stringify(state.children)); }
  } catch { state.children = JSON.parse(localStorage.getItem(key) || "[]"); }
  return state.children || [];
}

function extensionDays(o) {
  const from = (o.deadlines.reply_by || "").slice(0, 10);
  return CFG.working_days.filter((d) => d > from).slice(0, 20);
}

async function formFor(o, act) {
  const note = (req) => field(t("note"), `<textarea name="note" rows="3"${req ? " required" : ""}></textarea>`);
  switch (act) {
    case "assign_down": {
      const units = await children();
      if (!units.length) return `<p>${esc(t("no_children"))}</p>`;
      return field(t("child_unit"), `<select name="unit_code" required>${options(units.map((u) => [u.code, u.name]))}</select>`) +
        note(false) + field(t("due_optional"), `<input type="datetime-local" name="due">`);
    }
    case "hand_back":
    case "request_return":
      return field(t("reason"), `<select name="reason_code">${options(Object.entries(CFG.reasons))}</select>`) + note(true);
    case "request_extension":
      return field(t("new_date"), `<select name="until" required>${options(extensionDays(o).map((d, i) => [String(i + 1), `${d}（+${i + 1}）`]))}</select>`) +
        field(t("reason"), `<textarea name="note" rows="3" required></textarea>`);
    case "reply":
    case "report_up":
    case "co_reply":
      return field(t("reply_text"), `<textarea name="note" rows="4" required></textarea>`) +
        `<fieldset class="field"><legend>${esc(t("outcome"))}</legend>${Object.entries(CFG.outcomes).map(([v, l], i) =>
          `<label class="radio"><input type="radio" name="outcome" value="${esc(v)}"${i === 0 ? " checked" : ""}> ${esc(l)}</label>`).join("")}</fieldset>` +
        field(t("photos"), `<input type="file" name="photos" accept="image/jpeg,image/*" capture="environment" multiple>`) + `<div id="previews" class="photos"></div>`;
    case "answer_supervision":
      return field(t("answer"), `<textarea name="answer" rows="4" required></textarea>`);
    default:
      return "";
  }
}

let picked = [];

async function showForm(o, act, sid) {
  const inner = await formFor(o, act);
  if (!inner && !["accept", "co_accept", "start"].includes(act)) return;
  picked = [];
  const dialog = $("#form");
  dialog.innerHTML = `<form method="dialog"><h2>${esc(t(act))} · ${esc(o.number)}</h2>${inner}` +
    `<div class="formbtns"><button type="button" value="cancel" class="secondary" id="cancel">${esc(t("cancel"))}</button>` +
    `<button type="submit" value="ok" class="primary">${esc(t("submit"))}</button></div></form>`;
  const form = dialog.querySelector("form");
  const input = form.querySelector('input[name="photos"]');
  if (input) input.addEventListener("change", async () => {
    for (const file of input.files) picked.push(await preparePhoto(file));
    form.querySelector("#previews").innerHTML = picked.map((p) => `<img alt="" src="${p.data}">`).join("");
  });
  form.querySelector("#cancel").addEventListener("click", () => dialog.close());
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const values = Object.fromEntries(new FormData(form).entries());
    dialog.close();
    submit(o, act, values, sid);
  });
  dialog.showModal();
}

function bodyFor(o, act, v) {
  const body = {};
  if (v.note) body.note = v.note;
  if (act === "assign_down") {
    body.unit_code = v.unit_code;
    if (v.due) body.due = new Date(v.due).toISOString();
  }
  if (act === "hand_back" || act === "request_return") body.reason_code = v.reason_code;
  if (act === "request_extension") body.extension = { value: Number(v.until), unit: "working_days" };
  if (act === "reply" || act === "report_up" || act === "co_reply") body.outcome = v.outcome;
  return body;
}

function uuid() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

async function submit(o, act, values, sid) {
  const item = act === "answer_supervision"
    ? { kind: "answer", client_id: uuid(), order_id: o.id, sid, answer: values.answer }
    : { kind: "action", client_id: uuid(), order_id: o.id, action: act, version: o.version, body: bodyFor(o, act, values), photos: picked };
  picked = [];
  queue.push(item);
  saveQueue();
  applyLocally(item);
  // The card follows at once (a second tap finds the action gone), whatever the network.
  if (state.open) showCard(state.orders.get(state.open.id), state.open.sid);
  if (!navigator.onLine) toast(t("queued"));
  await flush();
  if (state.open) openOrder(state.open.id, state.open.sid);
  else render();
}

// What the order looks like once a queued action is applied, until the server says.
const AFTER = {
  accept: (o) => { o.status = "accepted"; o.allowed_actions = (o.delegation || []).length ? ["start", "assign_down", "hand_back", "report_up", "request_extension"] : ["start", "assign_down", "reply", "request_return", "request_extension"]; },
  start: (o) => { o.status = "in_progress"; o.allowed_actions = o.allowed_actions.filter((a) => !["start", "request_return"].includes(a)); },
  request_extension: (o) => { o.allowed_actions = o.allowed_actions.filter((a) => a !== "request_extension"); },
  co_accept: (o) => { const p = myPart(o); if (p) p.state = "accepted"; o.allowed_actions = o.allowed_actions.filter((a) => a !== "co_accept").concat(["co_reply"]); },
  co_reply: (o) => { const p = myPart(o); if (p) p.state = "replied"; o.allowed_actions = o.allowed_actions.filter((a) => a !== "co_reply"); },
};

function applyLocally(item, target) {
  if (item.kind === "answer") {
    state.supervision = state.supervision.filter((s) => s.id !== item.sid);
    return;
  }
  const o = target || state.orders.get(item.order_id);
  if (!o || o._applied?.includes(item.client_id)) return;
  o._applied = [...(o._applied || []), item.client_id];
  o._pending = (o._pending || 0) + 1;
  o.version += 1;
  if (AFTER[item.action]) AFTER[item.action](o);
  else { o._gone = true; o.allowed_actions = []; }
}

// --- the queue: sent in order, each once ----------------------------------------------------

let flushing = false;

export async function flush() {
  if (flushing || !queue.length) return;
  flushing = true;
  try {
    while (queue.length) {
      const item = queue[0];
      let r;
      try {
        r = item.kind === "answer" ? await sendAnswer(item) : await sendAction(item);
      } catch {
        break; // still offline: keep it, try again when the network returns
      }
      if (r.status >= 500) break;
      queue.shift();
      saveQueue();
      if (r.ok) {
        $("#toast").hidden = true;
        if (r.data && r.data.id && item.kind === "action") state.orders.set(r.data.id, { ...r.data });
      } else if (r.status === 409) {
        conflict(item, r.data);
      } else {
        toast(t("failed", { msg: (r.data && r.data.error && r.data.error.message) || r.status }));
      }
    }
  } finally {
    flushing = false;
    showSync();
  }
  if (!queue.length) await load();
}

async function sendAction(item) {
  item.photo_ids = item.photo_ids || [];
  while (item.photo_ids.length < (item.photos || []).length) {
    const p = item.photos[item.photo_ids.length];
    const where = p.lon != null ? `?lon=${p.lon}&lat=${p.lat}` : "";
    const r = await send("POST", `/api/v1/orders/${encodeURIComponent(item.order_id)}/photos${where}`, dataUrlBlob(p.data));
    if (!r.ok) return r;
    item.photo_ids.push(r.data.id);
    saveQueue();
  }
  const body = { ...item.body, version: item.version, client_id: item.client_id };
  if (item.photo_ids.length) body.photo_ids = item.photo_ids;
  return send("POST", `/api/v1/orders/${encodeURIComponent(item.order_id)}/actions/${item.action}`, body);
}

async function sendAnswer(item) {
  const r = await send("POST", `/api/v1/supervision/supervision-orders/${encodeURIComponent(item.sid)}/answer`, { answer: item.answer });
  // Sent twice after a lost answer: ours stands.
  if (r.status === 409 && r.data && r.data.error && r.data.error.answered_by === CFG.user) return { ...r, ok: true };
  return r;
}

function conflict(item, data) {
  const err = (data && data.error) || {};
  const number = (state.orders.get(item.order_id) || {}).number || item.order_id;
  const status = CFG.status_labels[err.current_status] || err.current_status || "";
  const msg = t("conflict_detail", {
    number, action: t(item.action || "answer_supervision"), by: err.changed_by || err.answered_by || "?", status,
  });
  const box = document.createElement("div");
  box.className = "conflict";
  box.setAttribute("role", "alert");
  box.textContent = t("conflict", { msg });
  document.body.insertBefore(box, $("#tabs"));
}

function toast(text) {
  const el = $("#toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 4000);
}

// --- photos: read the place from the original, send a resized copy --------------------------

function dataUrlBlob(url) {
  const [head, b64] = url.split(",");
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return new Blob([bytes], { type: head.slice(5).split(";")[0] });
}

export function exifGps(view) {
  try {
    if (view.getUint16(0) !== 0xffd8) return null;
    let pos = 2;
    while (pos + 4 < view.byteLength) {
      const marker = view.getUint16(pos);
      const len = view.getUint16(pos + 2);
      if (marker === 0xffda) return null;
      if (marker === 0xffe1 && view.getUint32(pos + 4) === 0x45786966) return tiffGps(new DataView(view.buffer, view.byteOffset + pos + 10, len - 8));
      pos += 2 + len;
    }
  } catch { /* a broken EXIF block loses the place, never the photo */ }
  return null;
}

function tiffGps(v) {
  const le = v.getUint16(0) === 0x4949;
  const u16 = (o) => v.getUint16(o, le), u32 = (o) => v.getUint32(o, le);
  const entries = (at) => {
    const out = {};
    for (let i = 0, n = u16(at); i < n; i++) { const b = at + 2 + 12 * i; out[u16(b)] = { count: u32(b + 4), at: b + 8 }; }
    return out;
  };
  const ifd0 = entries(u32(4));
  if (!ifd0[0x8825]) return null;
  const gps = entries(u32(ifd0[0x8825].at));
  const deg = (tag, ref, neg) => {
    if (!gps[tag] || !gps[ref]) return null;
    const off = u32(gps[tag].at);
    let value = 0;
    for (let i = 0; i < 3; i++) value += u32(off + 8 * i) / u32(off + 8 * i + 4) / 60 ** i;
    return String.fromCharCode(v.getUint8(gps[ref].at)) === neg ? -value : value;
  };
  const lat = deg(2, 1, "S"), lon = deg(4, 3, "W");
  return lat == null || lon == null ? null : { lon, lat };
}

async function preparePhoto(file) {
  const gps = exifGps(new DataView(await file.arrayBuffer()));
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, 1280 / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return { data: canvas.toDataURL("image/jpeg", 0.8), lon: gps && gps.lon, lat: gps && gps.lat };
}

// --- wiring --------------------------------------------------------------------------------

function online() {
  $("#offline").hidden = navigator.onLine;
  if (navigator.onLine) flush();
}

document.addEventListener("click", (ev) => {
  const tab = ev.target.closest("[data-tab]");
  if (tab) { state.tab = tab.dataset.tab; render(); return; }
  if (ev.target.closest("#back")) { closeOrder(); return; }
  const button = ev.target.closest("[data-act]");
  if (button && state.open) {
    const o = state.orders.get(state.open.id);
    const a = button.dataset.act;
    if (["accept", "co_accept", "start"].includes(a)) submit(o, a, {}, null);
    else showForm(o, a, button.dataset.sid || state.open.sid);
    return;
  }
  const item = ev.target.closest("[data-order]");
  if (item) openOrder(item.dataset.order, item.dataset.sid);
});

setInterval(() => {
  for (const el of document.querySelectorAll(".countdown[data-due]")) {
    const l = left(el.dataset.due);
    el.textContent = l.text;
    el.classList.toggle("late", l.late);
  }
}, 30000);

window.addEventListener("online", online);
window.addEventListener("offline", online);
$("#who").textContent = `${CFG.unit_name || CFG.unit || ""} · ${CFG.user}`;
// Web Push: offered when the center has a VAPID key and the phone has not said no yet.
async function offerPush(reg) {
  if (!reg || !("PushManager" in window) || !("Notification" in window) || Notification.permission === "denied") return;
  let key;
  try { key = (await send("GET", "/api/v1/push/key")).data.public_key; } catch { return; }
  if (!key) return;
  const subscribe = async () => {
    if ((await Notification.requestPermission()) !== "granted") return;
    const raw = Uint8Array.from(atob(key.replace(/-/g, "+").replace(/_/g, "/") + "==".slice(0, (4 - key.length % 4) % 4)), (c) => c.charCodeAt(0));
    const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: raw });
    await send("POST", "/api/v1/push/subscriptions", sub.toJSON());
    $("#push").hidden = true;
  };
  if (Notification.permission === "granted") { subscribe().catch(() => {}); return; }
  const button = $("#push");
  button.hidden = false;
  button.addEventListener("click", () => subscribe().catch(() => {}));
}

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/handler/sw.js", { scope: "/handler" }).then(offerPush).catch(() => {});
}
online();
// A link to one order's card: /handler#order=<id> (an answered order is on no list).
function fromHash() {
  const m = location.hash.match(/^#order=(\d+)$/);
  if (m) openOrder(m[1]);
}
window.addEventListener("hashchange", fromHash);
load().then(fromHash);
