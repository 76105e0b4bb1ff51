// 领导督办台 (/leader): overdue and at-risk orders by unit and tier; one click to 催办 /
// 督办 / 挂牌督办; the ladder (领导研究 with a 批示, 部门会商, 视频督办, 电台直播); video
// sessions (start, invite, join, instructions, close, sign the minutes); the instructions'
// follow-up list; a leader's day. Signed in by the HttpOnly session cookie: no token here.
const DATA = JSON.parse(document.getElementById("dc-leader").textContent);
const $ = (id) => document.getElementById(id);
const S = DATA.strings;
// Fill a string's {name} marks: f("限 {t}", {t: "..."}).
export function f(text, vals) { return String(text).replace(/\{(\w+)\}/g, (m, k) => (k in vals ? vals[k] : m)); }
const state = { board: null, day: null, sessions: [], followups: [], my: null, sort: "late", tier: "" };

export function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

// "12月6日 18:00": how people read a time on a console.
export function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const p = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false }).formatToParts(d);
  const v = Object.fromEntries(p.map((x) => [x.type, x.value]));
  return f(S.date, { M: v.month, D: v.day, h: v.hour, m: v.minute });
}

export function span(minutes) {
  const m = Math.abs(minutes);
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  const mm = m % 60;
  return ((d ? `${d}${S.d}` : "") + (h ? `${h}${S.h}` : "") + (!d && mm ? `${mm}${S.m}` : "")).trim() || `0${S.m}`;
}

// Reads are GETs; a change is a POST through the shared helper window.dc.send
// (/static/app/http.js, loaded by the header), which adds X-CSRF-Token and sends the body
// as JSON. The answer comes back as { ok, status, body } (body null when not JSON).
export async function api(url, body) {
  const r = body === undefined ? await window.dc.send("GET", url) : await window.dc.send("POST", url, body);
  let data = null;
  try { data = await r.json(); } catch (e) { /* not JSON */ }
  return { ok: r.ok, status: r.status, body: data };
}

function errorText(r) {
  const e = (r.body && r.body.error) || {};
  const fields = e.fields ? Object.entries(e.fields).map(([k, v]) => `${k}: ${v}`).join(S.field_sep) : "";
  return `${e.message || r.status}${fields ? ` (${fields})` : ""}`;
}

function toast(text) {
  const el = $("toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toast.t);
  toast.t = setTimeout(() => { el.hidden = true; }, 4000);
}

// A datetime-local value in Shanghai time as ISO 8601 with its offset.
function localIso(v) { return v ? `${v.length === 16 ? `${v}:00` : v}+08:00` : null; }
function hoursFromNow(h) {
  const d = new Date(Date.now() + h * 3600e3 + 8 * 3600e3);
  return d.toISOString().slice(0, 16);
}

const TIER = { 1: S.tier_1, 2: S.tier_2, 3: S.tier_3, 4: S.tier_4 };
// How long each level gives the unit to answer (hours), as a default the leader may change.
const ANSWER_HOURS = { urge: 24, supervise: 12, listed: 4 };

// -- loading ------------------------------------------------------------------------------

async function load() {
  const jobs = [api("/api/v1/supervision/board"), api("/api/v1/supervision/sessions"), api("/api/v1/supervision/followups")];
  jobs.push(DATA.may.supervise ? api("/api/v1/supervision/day") : api("/api/v1/supervision/my"));
  const [b, s, f, d] = await Promise.all(jobs);
  if (b.ok) state.board = b.body;
  if (s.ok) state.sessions = s.body.sessions;
  if (f.ok) state.followups = f.body.items;
  if (d.ok) { if (DATA.may.supervise) state.day = d.body; else state.my = d.body; }
  render();
}

function render() {
  renderFigures();
  renderBoard();
  renderUnits();
  renderDay();
  renderSessions();
  renderFollowups();
}

function renderFigures() {
  const b = state.board || { overdue: 0, at_risk: 0 };
  $("n-overdue").textContent = b.overdue;
  $("n-risk").textContent = b.at_risk;
  const fu = state.followups.filter((i) => i.state === "overdue").length;
  const open = state.sessions.filter((s) => s.status === "open").length;
  $("figures").innerHTML = `<span class="fig"><b>${b.overdue}</b>${esc(S.fig_overdue)}</span><span class="fig"><b>${b.at_risk}</b>${esc(S.fig_at_risk)}</span>`
    + `<span class="fig"><b>${open}</b>${esc(S.fig_open)}</span><span class="fig"><b>${fu}</b>${esc(S.fig_fu_late)}</span>`;
}

function sorted(orders) {
  const by = {
    late: (a, b) => b.late_minutes - a.late_minutes,
    unit: (a, b) => String(a.unit && a.unit.name).localeCompare(String(b.unit && b.unit.name), DATA.lang) || b.late_minutes - a.late_minutes,
    tier: (a, b) => (a.tier || 9) - (b.tier || 9) || b.late_minutes - a.late_minutes,
    due: (a, b) => String(a.reply_by).localeCompare(String(b.reply_by)),
  }[state.sort];
  return orders.filter((o) => !state.tier || String(o.tier) === state.tier).sort(by);
}

function renderBoard() {
  const orders = state.board ? sorted(state.board.orders) : [];
  const quick = (o) => (DATA.may.supervise && o.unit
    ? DATA.levels.map((l) => `<button class="quick" data-quick="${l.value}" data-id="${esc(o.id)}">${esc(l.label)}</button>`).join(" ") : "");
  $("board").innerHTML = `<tr><th>${S.th_state}</th><th>${S.th_order}</th><th>${S.th_unit}</th><th>${S.th_tier}</th><th>${S.th_due}</th><th>${S.th_level}</th><th></th></tr>`
    + (orders.length ? orders.map((o) => `<tr class="row" data-id="${esc(o.id)}">`
      + `<td><span class="tag ${o.state}">${esc(f(o.state === "overdue" ? S.overdue_by : S.left, { t: span(o.late_minutes) }))}</span></td>`
      + `<td>${esc(o.number)} <span class="muted">${esc(o.county || "")}</span><div class="desc">${esc(o.category || "")}｜${esc(o.description)}</div></td>`
      + `<td>${esc(o.unit ? o.unit.name : S.undispatched)}</td><td>${esc(TIER[o.tier] || "")}</td><td>${esc(when(o.reply_by))}</td>`
      + `<td>${o.level_label ? `<span class="tag level">${esc(levelLabel(o.level, o.level_label))}</span>` : ""}${o.top_step_label ? `<span class="tag step">${esc(stepLabel(o.top_step, o.top_step_label))}</span>` : ""}</td>`
      + `<td>${quick(o)}</td></tr>`).join("")
      : `<tr><td colspan="7" class="muted">${esc(S.no_board)}</td></tr>`);
}

function renderUnits() {
  const units = state.board ? state.board.units : [];
  $("units").innerHTML = `<tr><th>${S.th_unit}</th><th>${S.th_tier}</th><th>${S.w_overdue}</th><th>${S.w_at_risk}</th></tr>`
    + (units.length ? units.map((u) => `<tr><td>${esc(u.name || S.undispatched)}</td><td>${esc(TIER[u.tier] || "")}</td>`
      + `<td>${u.overdue ? `<span class="tag overdue">${u.overdue}</span>` : 0}</td><td>${u.at_risk}</td></tr>`).join("")
      : `<tr><td colspan="4" class="muted">${esc(S.none)}</td></tr>`);
}

function list(title, items, row) {
  return `<h3>${esc(title)}</h3>` + (items.length ? items.map((x) => `<div class="item">${row(x)}</div>`).join("") : `<div class="muted item">${esc(S.none)}</div>`);
}

function renderDay() {
  if (state.my) { renderHandlerDay(); return; }
  const d = state.day;
  if (!d) { $("day").innerHTML = ""; return; }
  $("day-title").textContent = DATA.role === "leader" ? S.leader_day : S.day;
  $("day").innerHTML = list(S.needs_instruction, d.needs_instruction, (o) => `<span class="tag ${o.state}">${esc(o.state === "overdue" ? S.w_overdue : S.w_at_risk)}</span>${esc(o.number)} ${esc(o.unit ? o.unit.name : "")}`
      + `${o.level_label ? ` <span class="tag level">${esc(levelLabel(o.level, o.level_label))}</span>` : ""} <button class="quick" data-study="${esc(o.id)}">${esc(S.instruct)}</button><div class="desc">${esc(o.description)}</div>`)
    + (DATA.may.sign ? list(S.unsigned, d.unsigned_minutes, (s) => `${esc(s.topic)} <span class="muted">${esc(when(s.closed_at))}</span> <button class="quick" data-sign="${esc(s.id)}">${esc(S.sign)}</button>`) : "")
    + list(S.my_instructions, d.instructions_given, (s) => `<span class="tag ${s.done ? "done" : "open"}">${esc(s.done ? S.done : statusLabel(s.status, s.status_label))}</span>${esc(s.number)}: ${esc(s.text || "")}`)
    + list(S.my_sos, d.supervision_orders, (s) => `<span class="tag ${s.answered ? "done" : s.overdue ? "overdue" : "open"}">${esc(s.answered ? S.answered : s.overdue ? S.late_unanswered : S.awaiting)}</span>`
      + `<span class="tag level">${esc(levelLabel(s.level, s.level_label))}</span>${esc(s.number)}: ${esc(s.requirement)}${s.answer ? `<div class="desc">${esc(f(S.answer_is, { t: s.answer }))}</div>` : ""}`)
    + list(S.my_session_ins, d.session_instructions, (i) => `<span class="tag ${i.state}">${esc(stateLabel(i.state))}</span>${esc(i.text)} <span class="muted">${esc(i.owner)}</span>`);
}

function renderHandlerDay() {
  const m = state.my;
  $("day-title").textContent = S.unit_items;
  $("day").innerHTML = list(S.so, m.supervision_orders || [], (s) => `<span class="tag level">${esc(levelLabel(s.level, s.level_label))}</span>${esc(s.order_number)}: ${esc(s.requirement)}`
      + `<div class="desc">${esc(f(S.answer_before, { t: when(s.answer_by) }))}</div>`
      + (s.status === "answered" ? `<div class="desc">${esc(f(S.answered_is, { t: s.answer }))}</div>`
        : `<textarea id="ans-${esc(s.id)}" placeholder="${esc(S.answer_ph)}"></textarea><button class="quick" data-answer="${esc(s.id)}">${esc(S.answer)}</button>`))
    + list(S.reminders, m.reminders || [], (r) => `<span class="tag overdue">${esc(r.label)}</span>${esc(r.message)}`);
}

const stateLabel = (s) => ({ overdue: S.fu_overdue, open: S.fu_open, done: S.fu_done }[s] || s);
// A level's label in the page's language (the API gives the Chinese one).
const levelLabel = (value, zh) => (DATA.levels.find((l) => l.value === value) || { label: zh }).label;
const statusLabel = (value, zh) => (DATA.statuses || {})[value] || zh;
const stepLabel = (step, zh) => (DATA.ladder.find((s) => s.step === step) || { label: zh }).label;

function renderSessions() {
  const mk = DATA.may.run_sessions ? `<button class="primary" id="new-session">${esc(S.new_session)}</button>` : "";
  const rows = state.sessions.map((s) => `<div class="item" data-session="${esc(s.id)}">`
    + `<span class="tag ${s.status === "open" ? "overdue" : "done"}">${esc(s.status === "open" ? S.open : S.closed)}</span>${esc(s.topic)}`
    + `<div class="desc">${esc(when(s.created_at))}${s.present && s.present.length ? ` · ${esc(f(S.present, { t: s.present.join(S.list_sep) }))}` : ""}</div>`
    + `${s.status === "open" ? `<button class="quick" data-join="${esc(s.id)}">${esc(S.join)}</button> ` : ""}<button class="quick" data-open-session="${esc(s.id)}">${esc(S.details)}</button></div>`).join("");
  $("sessions").innerHTML = mk + (rows || `<div class="muted item">${esc(S.no_sessions)}</div>`);
}

function renderFollowups() {
  $("followups").innerHTML = `<tr><th>${S.th_fu}</th><th>${S.th_text}</th><th>${S.th_owner}</th><th>${S.th_deadline}</th></tr>`
    + (state.followups.length ? state.followups.map((i) => `<tr><td><span class="tag ${i.state}">${esc(stateLabel(i.state))}</span></td>`
      + `<td>${esc(i.text)}<div class="desc">${esc(i.topic)}${i.order ? ` · ${esc(f(S.order_no, { t: i.order.number }))}` : ""}</div></td><td>${esc(i.owner)}</td><td>${esc(when(i.due))}</td></tr>`).join("")
      : `<tr><td colspan="4" class="muted">${esc(S.none)}</td></tr>`);
}

// -- the drawer: one order (督办单, ladder) or one session ----------------------------------

function openDrawer(html) {
  $("drawer-body").innerHTML = html;
  $("drawer").hidden = false;
}
function closeDrawer() { $("drawer").hidden = true; state.drawer = null; }

function outcome(r, okText) {
  const el = $("drawer-outcome");
  if (el) el.innerHTML = r.ok ? `<div class="outcome ok" data-outcome="ok">${esc(okText)}</div>` : `<div class="outcome err" data-outcome="error">${esc(errorText(r))}</div>`;
}

const STEP_FIELDS = {
  leader_study: [["leader", S.f_leader, "input"], ["instruction", S.f_instruction, "textarea"]],
  department_consultation: [["departments", S.f_departments, "input"], ["meeting_record", S.f_meeting_record, "textarea"], ["work_split", S.f_work_split, "textarea"]],
  radio_broadcast: [["programme", S.f_programme, "input"], ["date", S.f_date, "date"], ["answering_unit", S.f_answering_unit, "input"], ["outcome", S.f_outcome, "textarea"]],
};

async function openOrder(id, focus) {
  const o = state.board.orders.find((x) => x.id === id) || state.day?.needs_instruction.find((x) => x.id === id);
  const lad = await api(`/api/v1/supervision/orders/${encodeURIComponent(id)}`);
  const L = lad.ok ? lad.body : { taken: [], next: [], supervision_orders: [] };
  state.drawer = { kind: "order", id, order: o };
  const level = focus && focus.level ? focus.level : "supervise";
  const so = DATA.may.supervise && o && o.unit ? `<h3>${esc(S.so)}</h3><div class="form">
      <label>${esc(S.so_level)}</label><select id="so-level">${DATA.levels.map((l) => `<option value="${l.value}"${l.value === level ? " selected" : ""}>${esc(l.label)}</option>`).join("")}</select>
      <label>${esc(S.so_by)}</label><input type="datetime-local" id="so-by" value="${hoursFromNow(ANSWER_HOURS[level])}">
      <label>${esc(S.so_req)}</label><textarea id="so-req">${esc(S.so_req_default)}</textarea>
      <span></span><div><button class="primary" id="so-send">${esc(S.so_send)}</button></div></div>` : "";
  const taken = new Set(L.taken.map((t) => t.step));
  const next = new Set(L.next);
  const ladder = DATA.may.supervise ? `<h3>${esc(S.ladder)}</h3><div class="ladder">${DATA.ladder.map((s) => `<button data-step="${s.step}" class="${taken.has(s.step) ? "taken" : ""}"${next.has(s.step) ? "" : " disabled"}>${esc(s.label)}</button>`).join("")}</div><div id="step-form"></div>` : "";
  const history = L.taken.map((t) => `<div class="item"><span class="tag step">${esc(stepLabel(t.step, t.label))}</span>${esc(when(t.at))} ${esc(t.by)}`
    + `${t.details && t.details.instruction ? `<div class="desc">${esc(f(S.instruction_is, { t: t.details.instruction }))}</div>` : ""}</div>`).join("")
    + L.supervision_orders.map((s) => `<div class="item"><span class="tag level">${esc(levelLabel(s.level, s.level_label))}</span>${esc(s.requirement)} <span class="muted">${esc(f(S.limit, { t: when(s.answer_by) }))}</span>`
    + `${s.answer ? `<div class="desc">${esc(f(S.answer_is, { t: s.answer }))}</div>` : `<div class="desc">${esc(S.awaiting)}</div>`}</div>`).join("");
  openDrawer(`<h2>${esc(o ? o.number : id)} <span class="muted">${esc(o ? statusLabel(o.status, o.status_label) : "")}</span></h2>`
    + (o ? `<div>${esc(o.description)}</div><div class="desc">${esc(o.unit ? o.unit.name : S.undispatched)} · ${esc(f(S.due_is, { t: when(o.reply_by) }))}</div>` : "")
    + `<div id="drawer-out-wrap"><div id="drawer-outcome"></div></div>${so}${ladder}<h3>${esc(S.taken)}</h3>${history || `<div class="muted">${esc(S.none)}</div>`}`);
  if (focus && focus.step) stepForm(focus.step);
}

function stepForm(step) {
  const box = $("step-form");
  if (!box) return;
  if (step === "video_supervision") { box.innerHTML = sessionForm(state.drawer.id); return; }
  const fields = STEP_FIELDS[step];
  box.innerHTML = `<div class="form" data-form="${step}">${fields.map(([k, label, kind]) => `<label>${esc(label)}</label>`
    + (kind === "textarea" ? `<textarea id="st-${k}"></textarea>` : `<input id="st-${k}" type="${kind === "date" ? "date" : "text"}"${k === "leader" ? ` value="${esc(DATA.user)}"` : ""}>`)).join("")}
    <span></span><div><button class="primary" id="step-send" data-step="${step}">${esc(f(S.record, { t: DATA.ladder.find((s) => s.step === step).label }))}</button></div></div>`;
}

function sessionForm(orderId) {
  if (!DATA.may.run_sessions) return `<div class="muted">${esc(S.sessions_by_duty)}</div>`;
  return `<div class="form" data-form="session"><label>${esc(S.ss_topic)}</label><input id="ss-topic" value="">
    <label>${esc(S.ss_room)}</label><input id="ss-room" placeholder="${esc(S.ss_room_ph)}">
    <label>${esc(S.ss_orders)}</label><input id="ss-orders" value="${esc(orderId || "")}" placeholder="${esc(S.ss_orders_ph)}">
    <label>${esc(S.ss_incident)}</label><input id="ss-incident" placeholder="${esc(S.ss_incident_ph)}">
    <label>${esc(S.ss_invite)}</label><input id="ss-invite" placeholder="${esc(S.ss_invite_ph)}">
    <span></span><div><button class="primary" id="ss-send">${esc(S.ss_send)}</button></div></div>`;
}

async function sendSupervisionOrder() {
  const r = await api(`/api/v1/supervision/orders/${encodeURIComponent(state.drawer.id)}/supervision-orders`, {
    level: $("so-level").value, requirement: $("so-req").value.trim(), answer_by: localIso($("so-by").value),
  });
  if (r.ok) { const id = state.drawer.id; await load(); await openOrder(id); }
  outcome(r, r.ok ? f(S.so_sent, { level: levelLabel(r.body.level, r.body.level_label), t: when(r.body.answer_by) }) : "");
}

async function sendStep(step) {
  const details = {};
  for (const [k] of STEP_FIELDS[step]) {
    const v = $(`st-${k}`).value.trim();
    details[k] = k === "departments" ? v.split(/[,，、]/).map((x) => x.trim()).filter(Boolean) : v;
  }
  const id = state.drawer.id;
  const r = await api(`/api/v1/supervision/orders/${encodeURIComponent(id)}/escalations`, { step, details });
  if (r.ok) { await load(); await openOrder(id); }
  outcome(r, r.ok ? f(S.recorded, { t: stepLabel(r.body.step, r.body.label) }) : "");
}

function people(text) {
  return text.split(/[,，、]/).map((x) => x.trim()).filter(Boolean).map((x) => ({ name: x, user: /^[A-Za-z0-9_.-]+$/.test(x) ? x : null }));
}

async function startSession() {
  const ids = $("ss-orders").value.split(/[,，\s]+/).filter(Boolean);
  const incident = $("ss-incident").value.trim();
  const topic = $("ss-topic").value.trim() || (incident ? f(S.incident_topic, { t: incident }) : S.default_topic);
  const r = await api("/api/v1/supervision/sessions", {
    topic, room_url: $("ss-room").value.trim(), order_ids: ids, emergency: incident || null, invited: people($("ss-invite").value),
  });
  if (r.ok) { await load(); await openSession(r.body.id); toast(f(S.started, { t: r.body.topic })); } else outcome(r, "");
}

async function join(id) {
  const s = state.sessions.find((x) => x.id === id);
  // The room opens in the city's video system; the join is recorded here.
  // Only a web link opens: a row stored before links were checked may hold a script link.
  const w = s && /^https?:\/\//i.test(s.room_url || "") ? window.open(s.room_url, "_blank", "noopener,noreferrer") : null;
  void w;
  const r = await api(`/api/v1/supervision/sessions/${encodeURIComponent(id)}/join`, {});
  toast(r.ok ? S.joined : errorText(r));
  await load();
  if (state.drawer && state.drawer.kind === "session" && state.drawer.id === id) openSession(id);
}

async function openSession(id) {
  const r = await api(`/api/v1/supervision/sessions/${encodeURIComponent(id)}`);
  if (!r.ok) { toast(errorText(r)); return; }
  const s = r.body;
  state.drawer = { kind: "session", id };
  const open = s.status === "open";
  const ppl = s.participants.map((p) => `<div class="item">${esc(p.name || p.participant)} <span class="muted">${esc(f(S.joined_at, { t: when(p.joined_at) }))} · ${esc(p.left_at ? f(S.left_at, { t: when(p.left_at) }) : S.in_room)}</span></div>`).join("");
  const inv = (s.invited || []).map((i) => esc(i.name)).join(S.list_sep);
  const ins = s.instructions.map((i) => `<div class="item">${esc(i.text)} <span class="muted">${esc(f(S.owner_is, { t: i.owner }))}${i.due ? ` · ${esc(f(S.limit, { t: when(i.due) }))}` : ""} · ${esc(i.issued_by)}</span></div>`).join("");
  const insForm = open && DATA.may.instruct ? `<div class="form" data-form="instruction"><label>${esc(S.ins_text)}</label><textarea id="in-text"></textarea>
      <label>${esc(S.ins_owner)}</label><input id="in-owner"><label>${esc(S.ins_due)}</label><input type="datetime-local" id="in-due" value="${hoursFromNow(24)}">
      <span></span><div><button class="primary" id="in-send">${esc(S.ins_send)}</button></div></div>` : "";
  const inviteForm = open && (DATA.may.run_sessions || DATA.may.instruct)
    ? `<div class="form" data-form="invite"><label>${esc(S.invite_more)}</label><input id="inv-people" placeholder="${esc(S.ss_invite_ph)}">
      <span></span><div><button id="inv-send">${esc(S.invite_send)}</button></div></div>` : "";
  const signed = s.minutes_signed_by ? `<div class="outcome ok">${esc(f(S.signed, { who: s.minutes_signed_by, t: when(s.minutes_signed_at) }))}</div>` : "";
  const buttons = [
    open ? `<button data-join="${esc(s.id)}">${esc(S.join)}</button>` : "",
    open && DATA.may.run_sessions ? `<button id="ss-close">${esc(S.close_session)}</button>` : "",
    !open && DATA.may.sign && !s.minutes_signed_by ? `<button class="primary" id="ss-sign">${esc(S.sign_minutes)}</button>` : "",
    !open ? `<a href="/api/v1/supervision/sessions/${esc(s.id)}/minutes?format=html" target="_blank" rel="noopener">${esc(S.view_minutes)}</a> · <a href="/api/v1/supervision/sessions/${esc(s.id)}/minutes?format=pdf">${esc(S.pdf)}</a>` : "",
  ].filter(Boolean).join(" ");
  openDrawer(`<h2>${esc(s.topic)} <span class="tag ${open ? "overdue" : "done"}">${esc(open ? S.open : S.closed)}</span></h2>`
    + `<div class="desc">${esc(f(S.started_by, { who: s.created_by, t: when(s.created_at) }))}${s.emergency ? ` · ${esc(f(S.incident_is, { t: s.emergency }))}` : ""}</div>`
    + `<div id="drawer-outcome"></div>${signed}<div class="ladder">${buttons}</div>`
    + `<h3>${esc(S.invited)}</h3><div>${inv || `<span class="muted">${esc(S.none_word)}</span>`}</div>${inviteForm}<h3>${esc(S.participants)}</h3>${ppl || `<div class="muted">${esc(S.nobody)}</div>`}`
    + `<h3>${esc(S.instructions)}</h3>${ins || `<div class="muted">${esc(S.none)}</div>`}${insForm}`);
}

async function sendInstruction() {
  const id = state.drawer.id;
  const r = await api(`/api/v1/supervision/sessions/${encodeURIComponent(id)}/instructions`, {
    text: $("in-text").value.trim(), owner: $("in-owner").value.trim(), due: localIso($("in-due").value),
  });
  if (r.ok) { await load(); await openSession(id); }
  outcome(r, r.ok ? S.ins_done : "");
}

async function inviteMore() {
  const id = state.drawer.id;
  const asked = people($("inv-people").value);
  const r = await api(`/api/v1/supervision/sessions/${encodeURIComponent(id)}/invitations`, { invited: asked });
  if (r.ok) { await load(); await openSession(id); }
  outcome(r, r.ok ? f(S.invited_msg, { t: asked.map((x) => x.name).join(S.list_sep) }) : "");
}

async function sessionMove(path, okText) {
  const id = state.drawer.id;
  const r = await api(`/api/v1/supervision/sessions/${encodeURIComponent(id)}/${path}`, {});
  if (r.ok) { await load(); await openSession(id); }
  outcome(r, r.ok ? okText : "");
}

async function sign(id) {
  const r = await api(`/api/v1/supervision/sessions/${encodeURIComponent(id)}/sign`, {});
  toast(r.ok ? S.signed_msg : errorText(r));
  await load();
}

async function answer(id) {
  const text = $(`ans-${id}`).value.trim();
  if (!text) return;
  const r = await api(`/api/v1/supervision/supervision-orders/${encodeURIComponent(id)}/answer`, { answer: text });
  toast(r.ok ? S.answered_msg : errorText(r));
  await load();
}

// -- events -------------------------------------------------------------------------------

document.addEventListener("click", (ev) => {
  const t = ev.target.closest("button, tr.row");
  if (!t) return;
  const d = t.dataset;
  if (d.quick) { ev.stopPropagation(); openOrder(d.id, { level: d.quick }); }
  else if (d.study) openOrder(d.study, { step: "leader_study" });
  else if (d.sign) sign(d.sign);
  else if (d.answer) answer(d.answer);
  else if (d.join) join(d.join);
  else if (d.openSession) openSession(d.openSession);
  else if (d.step && t.closest(".ladder")) stepForm(d.step);
  else if (t.id === "step-send") sendStep(d.step);
  else if (t.id === "so-send") sendSupervisionOrder();
  else if (t.id === "ss-send") startSession();
  else if (t.id === "in-send") sendInstruction();
  else if (t.id === "inv-send") inviteMore();
  else if (t.id === "ss-close") sessionMove("close", S.closed_msg);
  else if (t.id === "ss-sign") sign(state.drawer.id).then(() => openSession(state.drawer.id));
  else if (t.id === "new-session") { state.drawer = { kind: "new" }; openDrawer(`<h2>${esc(S.new_session)}</h2><div id="drawer-outcome"></div>${sessionForm("")}`); }
  else if (t.id === "drawer-close") closeDrawer();
  else if (t.matches("tr.row")) openOrder(d.id);
});
document.addEventListener("change", (ev) => {
  if (ev.target.id === "sort") { state.sort = ev.target.value; renderBoard(); }
  if (ev.target.id === "tier") { state.tier = ev.target.value; renderBoard(); }
  if (ev.target.id === "so-level") $("so-by").value = hoursFromNow(ANSWER_HOURS[ev.target.value]);
});
document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") closeDrawer(); });

function tick() { $("clock").textContent = ` ${when(new Date().toISOString())}`; }
tick();
setInterval(tick, 30000);
setInterval(load, 60000);
window.DC_LEADER = { state, load, openOrder, openSession };
load();
