// 领导督办台 (/leader): overdue and at-risk orders by unit and tier; one click to 催办 /
// 督办 / 挂牌督办; the ladder (领导研究 with a 批示, 部门会商, 视频督办, 电台直播); video
// sessions (start, invite, join, instructions, close, sign the minutes); the instructions'
// follow-up list; a leader's day. Signed in by the HttpOnly session cookie: no token here.
const DATA = JSON.parse(document.getElementById("dc-leader").textContent);
const $ = (id) => document.getElementById(id);
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
  return `${v.month}月${v.day}日 ${v.hour}:${v.minute}`;
}

export function span(minutes) {
  const m = Math.abs(minutes);
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  const mm = m % 60;
  return (d ? `${d}天` : "") + (h ? `${h}小时` : "") + (!d && mm ? `${mm}分` : "") || "0分";
}

// The front door's CSRF contract: every state change carries X-CSRF-Token = cookie dc_csrf.
function csrf() {
  const m = document.cookie.match(/(?:^|;\s*)dc_csrf=([^;]*)/);
  return m ? { "X-CSRF-Token": decodeURIComponent(m[1]) } : {};
}

export async function api(url, body) {
  const opts = { credentials: "same-origin" };
  if (body !== undefined) {
    opts.method = "POST";
    opts.headers = { "Content-Type": "application/json", ...csrf() };
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(url, opts);
  let data = null;
  try { data = await r.json(); } catch (e) { /* not JSON */ }
  return { ok: r.ok, status: r.status, body: data };
}

function errorText(r) {
  const e = (r.body && r.body.error) || {};
  const fields = e.fields ? Object.entries(e.fields).map(([k, v]) => `${k}: ${v}`).join("；") : "";
  return `${e.message || r.status}${fields ? `（${fields}）` : ""}`;
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

const TIER = { 1: "市级", 2: "县区/部门", 3: "乡镇街道", 4: "村社区" };
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
  $("figures").innerHTML = `<span class="fig"><b>${b.overdue}</b>超期工单</span><span class="fig"><b>${b.at_risk}</b>临期工单</span>`
    + `<span class="fig"><b>${open}</b>进行中会议</span><span class="fig"><b>${fu}</b>指示超期未落实</span>`;
}

function sorted(orders) {
  const by = {
    late: (a, b) => b.late_minutes - a.late_minutes,
    unit: (a, b) => String(a.unit && a.unit.name).localeCompare(String(b.unit && b.unit.name), "zh") || b.late_minutes - a.late_minutes,
    tier: (a, b) => (a.tier || 9) - (b.tier || 9) || b.late_minutes - a.late_minutes,
    due: (a, b) => String(a.reply_by).localeCompare(String(b.reply_by)),
  }[state.sort];
  return orders.filter((o) => !state.tier || String(o.tier) === state.tier).sort(by);
}

function renderBoard() {
  const orders = state.board ? sorted(state.board.orders) : [];
  const quick = (o) => (DATA.may.supervise && o.unit
    ? DATA.levels.map((l) => `<button class="quick" data-quick="${l.value}" data-id="${esc(o.id)}">${esc(l.label)}</button>`).join(" ") : "");
  $("board").innerHTML = `<tr><th>状态</th><th>工单</th><th>责任单位</th><th>层级</th><th>办结时限</th><th>督办</th><th></th></tr>`
    + (orders.length ? orders.map((o) => `<tr class="row" data-id="${esc(o.id)}">`
      + `<td><span class="tag ${o.state}">${o.state === "overdue" ? `超期${esc(span(o.late_minutes))}` : `剩${esc(span(o.late_minutes))}`}</span></td>`
      + `<td>${esc(o.number)} <span class="muted">${esc(o.county || "")}</span><div class="desc">${esc(o.category || "")}｜${esc(o.description)}</div></td>`
      + `<td>${esc(o.unit ? o.unit.name : "未派单")}</td><td>${esc(TIER[o.tier] || "")}</td><td>${esc(when(o.reply_by))}</td>`
      + `<td>${o.level_label ? `<span class="tag level">${esc(o.level_label)}</span>` : ""}${o.top_step_label ? `<span class="tag step">${esc(o.top_step_label)}</span>` : ""}</td>`
      + `<td>${quick(o)}</td></tr>`).join("")
      : `<tr><td colspan="7" class="muted">暂无超期或临期工单</td></tr>`);
}

function renderUnits() {
  const units = state.board ? state.board.units : [];
  $("units").innerHTML = `<tr><th>责任单位</th><th>层级</th><th>超期</th><th>临期</th></tr>`
    + (units.length ? units.map((u) => `<tr><td>${esc(u.name || "未派单")}</td><td>${esc(TIER[u.tier] || "")}</td>`
      + `<td>${u.overdue ? `<span class="tag overdue">${u.overdue}</span>` : 0}</td><td>${u.at_risk}</td></tr>`).join("")
      : `<tr><td colspan="4" class="muted">暂无</td></tr>`);
}

function list(title, items, row) {
  return `<h3>${esc(title)}</h3>` + (items.length ? items.map((x) => `<div class="item">${row(x)}</div>`).join("") : `<div class="muted item">暂无</div>`);
}

function renderDay() {
  if (state.my) { renderHandlerDay(); return; }
  const d = state.day;
  if (!d) { $("day").innerHTML = ""; return; }
  $("day-title").textContent = DATA.role === "leader" ? "领导一日" : "今日待办";
  $("day").innerHTML = list("待批示", d.needs_instruction, (o) => `<span class="tag ${o.state}">${o.state === "overdue" ? "超期" : "临期"}</span>${esc(o.number)} ${esc(o.unit ? o.unit.name : "")}`
      + `${o.level_label ? ` <span class="tag level">${esc(o.level_label)}</span>` : ""} <button class="quick" data-study="${esc(o.id)}">批示</button><div class="desc">${esc(o.description)}</div>`)
    + (DATA.may.sign ? list("纪要待签发", d.unsigned_minutes, (s) => `${esc(s.topic)} <span class="muted">${esc(when(s.closed_at))}</span> <button class="quick" data-sign="${esc(s.id)}">签发</button>`) : "")
    + list("我的批示", d.instructions_given, (s) => `<span class="tag ${s.done ? "done" : "open"}">${s.done ? "已办结" : esc(s.status_label)}</span>${esc(s.number)}：${esc(s.text || "")}`)
    + list("我发出的督办单", d.supervision_orders, (s) => `<span class="tag ${s.answered ? "done" : s.overdue ? "overdue" : "open"}">${s.answered ? "已答复" : s.overdue ? "逾期未答复" : "待答复"}</span>`
      + `<span class="tag level">${esc(s.level_label)}</span>${esc(s.number)}：${esc(s.requirement)}${s.answer ? `<div class="desc">答复：${esc(s.answer)}</div>` : ""}`)
    + list("我在会上的指示", d.session_instructions, (i) => `<span class="tag ${i.state}">${esc(stateLabel(i.state))}</span>${esc(i.text)} <span class="muted">${esc(i.owner)}</span>`);
}

function renderHandlerDay() {
  const m = state.my;
  $("day-title").textContent = "本单位督办事项";
  $("day").innerHTML = list("督办单", m.supervision_orders || [], (s) => `<span class="tag level">${esc(s.level_label)}</span>${esc(s.order_number)}：${esc(s.requirement)}`
      + `<div class="desc">限 ${esc(when(s.answer_by))} 前答复</div>`
      + (s.status === "answered" ? `<div class="desc">已答复：${esc(s.answer)}</div>`
        : `<textarea id="ans-${esc(s.id)}" placeholder="答复内容"></textarea><button class="quick" data-answer="${esc(s.id)}">答复</button>`))
    + list("催办提醒", m.reminders || [], (r) => `<span class="tag overdue">${esc(r.label)}</span>${esc(r.message)}`);
}

const stateLabel = (s) => ({ overdue: "超期未落实", open: "落实中", done: "已落实" }[s] || s);

function renderSessions() {
  const mk = DATA.may.run_sessions ? `<button class="primary" id="new-session">发起视频督办</button>` : "";
  const rows = state.sessions.map((s) => `<div class="item" data-session="${esc(s.id)}">`
    + `<span class="tag ${s.status === "open" ? "overdue" : "done"}">${s.status === "open" ? "进行中" : "已结束"}</span>${esc(s.topic)}`
    + `<div class="desc">${esc(when(s.created_at))}${s.present && s.present.length ? ` · 在会：${esc(s.present.join("、"))}` : ""}</div>`
    + `${s.status === "open" ? `<button class="quick" data-join="${esc(s.id)}">加入会议</button> ` : ""}<button class="quick" data-open-session="${esc(s.id)}">详情</button></div>`).join("");
  $("sessions").innerHTML = mk + (rows || `<div class="muted item">暂无会议</div>`);
}

function renderFollowups() {
  $("followups").innerHTML = `<tr><th>落实</th><th>指示</th><th>责任</th><th>时限</th></tr>`
    + (state.followups.length ? state.followups.map((i) => `<tr><td><span class="tag ${i.state}">${esc(stateLabel(i.state))}</span></td>`
      + `<td>${esc(i.text)}<div class="desc">${esc(i.topic)}${i.order ? ` · 工单 ${esc(i.order.number)}` : ""}</div></td><td>${esc(i.owner)}</td><td>${esc(when(i.due))}</td></tr>`).join("")
      : `<tr><td colspan="4" class="muted">暂无</td></tr>`);
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
  leader_study: [["leader", "批示领导", "input"], ["instruction", "批示内容", "textarea"]],
  department_consultation: [["departments", "会商部门（逗号分隔）", "input"], ["meeting_record", "会商记录", "textarea"], ["work_split", "分工", "textarea"]],
  radio_broadcast: [["programme", "节目", "input"], ["date", "日期", "date"], ["answering_unit", "上线单位", "input"], ["outcome", "结果", "textarea"]],
};

async function openOrder(id, focus) {
  const o = state.board.orders.find((x) => x.id === id) || state.day?.needs_instruction.find((x) => x.id === id);
  const lad = await api(`/api/v1/supervision/orders/${encodeURIComponent(id)}`);
  const L = lad.ok ? lad.body : { taken: [], next: [], supervision_orders: [] };
  state.drawer = { kind: "order", id, order: o };
  const level = focus && focus.level ? focus.level : "supervise";
  const so = DATA.may.supervise && o && o.unit ? `<h3>督办单</h3><div class="form">
      <label>等级</label><select id="so-level">${DATA.levels.map((l) => `<option value="${l.value}"${l.value === level ? " selected" : ""}>${esc(l.label)}</option>`).join("")}</select>
      <label>答复时限</label><input type="datetime-local" id="so-by" value="${hoursFromNow(ANSWER_HOURS[level])}">
      <label>要求答复</label><textarea id="so-req">请说明超期原因、目前进展和办结时间。</textarea>
      <span></span><div><button class="primary" id="so-send">下发督办单</button></div></div>` : "";
  const taken = new Set(L.taken.map((t) => t.step));
  const next = new Set(L.next);
  const ladder = DATA.may.supervise ? `<h3>升级处置</h3><div class="ladder">${DATA.ladder.map((s) => `<button data-step="${s.step}" class="${taken.has(s.step) ? "taken" : ""}"${next.has(s.step) ? "" : " disabled"}>${esc(s.label)}</button>`).join("")}</div><div id="step-form"></div>` : "";
  const history = L.taken.map((t) => `<div class="item"><span class="tag step">${esc(t.label)}</span>${esc(when(t.at))} ${esc(t.by)}`
    + `${t.details && t.details.instruction ? `<div class="desc">批示：${esc(t.details.instruction)}</div>` : ""}</div>`).join("")
    + L.supervision_orders.map((s) => `<div class="item"><span class="tag level">${esc(s.level_label)}</span>${esc(s.requirement)} <span class="muted">限 ${esc(when(s.answer_by))}</span>`
    + `${s.answer ? `<div class="desc">答复：${esc(s.answer)}</div>` : `<div class="desc">待答复</div>`}</div>`).join("");
  openDrawer(`<h2>${esc(o ? o.number : id)} <span class="muted">${esc(o ? o.status_label : "")}</span></h2>`
    + (o ? `<div>${esc(o.description)}</div><div class="desc">${esc(o.unit ? o.unit.name : "未派单")} · 时限 ${esc(when(o.reply_by))}</div>` : "")
    + `<div id="drawer-out-wrap"><div id="drawer-outcome"></div></div>${so}${ladder}<h3>已采取的督办</h3>${history || `<div class="muted">暂无</div>`}`);
  if (focus && focus.step) stepForm(focus.step);
}

function stepForm(step) {
  const box = $("step-form");
  if (!box) return;
  if (step === "video_supervision") { box.innerHTML = sessionForm(state.drawer.id); return; }
  const fields = STEP_FIELDS[step];
  box.innerHTML = `<div class="form" data-form="${step}">${fields.map(([k, label, kind]) => `<label>${esc(label)}</label>`
    + (kind === "textarea" ? `<textarea id="st-${k}"></textarea>` : `<input id="st-${k}" type="${kind === "date" ? "date" : "text"}"${k === "leader" ? ` value="${esc(DATA.user)}"` : ""}>`)).join("")}
    <span></span><div><button class="primary" id="step-send" data-step="${step}">记录${esc(DATA.ladder.find((s) => s.step === step).label)}</button></div></div>`;
}

function sessionForm(orderId) {
  if (!DATA.may.run_sessions) return `<div class="muted">视频督办会议由值班长发起</div>`;
  return `<div class="form" data-form="session"><label>会议主题</label><input id="ss-topic" value="">
    <label>会议室链接</label><input id="ss-room" placeholder="https://视频会议系统的会议室链接">
    <label>关联工单</label><input id="ss-orders" value="${esc(orderId || "")}" placeholder="工单编号，逗号分隔">
    <label>关联事件</label><input id="ss-incident" placeholder="突发事件（可选）">
    <label>邀请</label><input id="ss-invite" placeholder="参会人：姓名或账号，逗号分隔">
    <span></span><div><button class="primary" id="ss-send">发起会议</button></div></div>`;
}

async function sendSupervisionOrder() {
  const r = await api(`/api/v1/supervision/orders/${encodeURIComponent(state.drawer.id)}/supervision-orders`, {
    level: $("so-level").value, requirement: $("so-req").value.trim(), answer_by: localIso($("so-by").value),
  });
  if (r.ok) { const id = state.drawer.id; await load(); await openOrder(id); }
  outcome(r, r.ok ? `已下发${r.body.level_label}，限 ${when(r.body.answer_by)} 前答复` : "");
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
  outcome(r, r.ok ? `已记录：${r.body.label}` : "");
}

function people(text) {
  return text.split(/[,，、]/).map((x) => x.trim()).filter(Boolean).map((x) => ({ name: x, user: /^[A-Za-z0-9_.-]+$/.test(x) ? x : null }));
}

async function startSession() {
  const ids = $("ss-orders").value.split(/[,，\s]+/).filter(Boolean);
  const incident = $("ss-incident").value.trim();
  const topic = $("ss-topic").value.trim() || (incident ? `${incident}视频调度` : "超期工单视频督办");
  const r = await api("/api/v1/supervision/sessions", {
    topic, room_url: $("ss-room").value.trim(), order_ids: ids, emergency: incident || null, invited: people($("ss-invite").value),
  });
  if (r.ok) { await load(); await openSession(r.body.id); toast(`已发起会议：${r.body.topic}`); } else outcome(r, "");
}

async function join(id) {
  const s = state.sessions.find((x) => x.id === id);
  // The room opens in the city's video system; the join is recorded here.
  const w = s && s.room_url ? window.open(s.room_url, "_blank", "noopener,noreferrer") : null;
  void w;
  const r = await api(`/api/v1/supervision/sessions/${encodeURIComponent(id)}/join`, {});
  toast(r.ok ? "已加入会议（会议室在新窗口打开）" : errorText(r));
  await load();
  if (state.drawer && state.drawer.kind === "session" && state.drawer.id === id) openSession(id);
}

async function openSession(id) {
  const r = await api(`/api/v1/supervision/sessions/${encodeURIComponent(id)}`);
  if (!r.ok) { toast(errorText(r)); return; }
  const s = r.body;
  state.drawer = { kind: "session", id };
  const open = s.status === "open";
  const ppl = s.participants.map((p) => `<div class="item">${esc(p.name || p.participant)} <span class="muted">${esc(when(p.joined_at))} 入会${p.left_at ? ` · ${esc(when(p.left_at))} 离会` : " · 在会"}</span></div>`).join("");
  const inv = (s.invited || []).map((i) => esc(i.name)).join("、");
  const ins = s.instructions.map((i) => `<div class="item">${esc(i.text)} <span class="muted">责任：${esc(i.owner)}${i.due ? ` · 限 ${esc(when(i.due))}` : ""} · ${esc(i.issued_by)}</span></div>`).join("");
  const insForm = open && DATA.may.instruct ? `<div class="form" data-form="instruction"><label>指示内容</label><textarea id="in-text"></textarea>
      <label>责任单位/人</label><input id="in-owner"><label>完成时限</label><input type="datetime-local" id="in-due" value="${hoursFromNow(24)}">
      <span></span><div><button class="primary" id="in-send">下达指示</button></div></div>` : "";
  const signed = s.minutes_signed_by ? `<div class="outcome ok">纪要已由 ${esc(s.minutes_signed_by)} 于 ${esc(when(s.minutes_signed_at))} 签发</div>` : "";
  const buttons = [
    open ? `<button data-join="${esc(s.id)}">加入会议</button>` : "",
    open && DATA.may.run_sessions ? `<button id="ss-close">结束会议</button>` : "",
    !open && DATA.may.sign && !s.minutes_signed_by ? `<button class="primary" id="ss-sign">签发纪要</button>` : "",
    !open ? `<a href="/api/v1/supervision/sessions/${esc(s.id)}/minutes?format=html" target="_blank" rel="noopener">查看纪要</a> · <a href="/api/v1/supervision/sessions/${esc(s.id)}/minutes?format=pdf">下载PDF</a>` : "",
  ].filter(Boolean).join(" ");
  openDrawer(`<h2>${esc(s.topic)} <span class="tag ${open ? "overdue" : "done"}">${open ? "进行中" : "已结束"}</span></h2>`
    + `<div class="desc">${esc(s.created_by)} 发起于 ${esc(when(s.created_at))}${s.emergency ? ` · 事件：${esc(s.emergency)}` : ""}</div>`
    + `<div id="drawer-outcome"></div>${signed}<div class="ladder">${buttons}</div>`
    + `<h3>邀请</h3><div>${inv || `<span class="muted">无</span>`}</div><h3>参会</h3>${ppl || `<div class="muted">暂无人入会</div>`}`
    + `<h3>领导指示</h3>${ins || `<div class="muted">暂无</div>`}${insForm}`);
}

async function sendInstruction() {
  const id = state.drawer.id;
  const r = await api(`/api/v1/supervision/sessions/${encodeURIComponent(id)}/instructions`, {
    text: $("in-text").value.trim(), owner: $("in-owner").value.trim(), due: localIso($("in-due").value),
  });
  if (r.ok) { await load(); await openSession(id); }
  outcome(r, r.ok ? "指示已下达并进入落实跟踪" : "");
}

async function sessionMove(path, okText) {
  const id = state.drawer.id;
  const r = await api(`/api/v1/supervision/sessions/${encodeURIComponent(id)}/${path}`, {});
  if (r.ok) { await load(); await openSession(id); }
  outcome(r, r.ok ? okText : "");
}

async function sign(id) {
  const r = await api(`/api/v1/supervision/sessions/${encodeURIComponent(id)}/sign`, {});
  toast(r.ok ? "纪要已签发" : errorText(r));
  await load();
}

async function answer(id) {
  const text = $(`ans-${id}`).value.trim();
  if (!text) return;
  const r = await api(`/api/v1/supervision/supervision-orders/${encodeURIComponent(id)}/answer`, { answer: text });
  toast(r.ok ? "已答复" : errorText(r));
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
  else if (t.id === "ss-close") sessionMove("close", "会议已结束，纪要已生成");
  else if (t.id === "ss-sign") sign(state.drawer.id).then(() => openSession(state.drawer.id));
  else if (t.id === "new-session") { state.drawer = { kind: "new" }; openDrawer(`<h2>发起视频督办</h2><div id="drawer-outcome"></div>${sessionForm("")}`); }
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
