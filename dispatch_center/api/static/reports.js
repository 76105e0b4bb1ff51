// 报告室 (/reports): the kept reports (open HTML, download PDF/XLSX/CSV), making one for a
// period or a special report (专报), and the quarterly ranking with each unit's six rates,
// their trend against the quarter before, and the bottom units' explanations and interviews.
// Signed in by the HttpOnly session cookie: no token here.
const DATA = JSON.parse(document.getElementById("dc-reports").textContent);
const $ = (id) => document.getElementById(id);
const S = DATA.strings;
// Fill a string's {name} marks.
const f = (text, vals) => String(text).replace(/\{(\w+)\}/g, (m, k) => (k in vals ? vals[k] : m));
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const KIND = Object.fromEntries(["daily", "weekly", "monthly", "quarterly", "annual", "special"].map((k) => [k, S[`k_${k}`]]));
const FMT = { html: S.f_html, pdf: "PDF", xlsx: "Excel", csv: "CSV" };
const RATES = [["response_rate"], ["resolution_rate"], ["on_time_rate"], ["satisfaction_rate"], ["return_rate", true], ["reopen_rate", true]]
  .map(([k, low]) => [k, S[`r_${k}`], low]);
const FOLLOW = { awaiting_explanation: S.fu_awaiting_explanation, awaiting_interview: S.fu_awaiting_interview, done: S.fu_done };

function when(iso) {
  if (!iso) return "";
  const p = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", year: "numeric", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false }).formatToParts(new Date(iso));
  const v = Object.fromEntries(p.map((x) => [x.type, x.value]));
  return f(S.date, { Y: v.year, M: v.month, D: v.day, h: v.hour, m: v.minute });
}

// Reads are GETs; a change is a POST through the shared helper window.dc.send
// (/static/app/http.js, loaded by the header), which adds X-CSRF-Token and sends the body
// as JSON. The answer comes back as { ok, status, body } (body null when not JSON).
async function api(url, body) {
  const r = body === undefined ? await window.dc.send("GET", url) : await window.dc.send("POST", url, body);
  let data = null;
  try { data = await r.json(); } catch (e) { /* not JSON */ }
  return { ok: r.ok, status: r.status, body: data };
}

function errorText(r) {
  const e = (r.body && r.body.error) || {};
  const fs = e.fields ? Object.entries(e.fields).map(([k, v]) => `${k}: ${v}`).join(S.field_sep) : "";
  return `${e.message || r.status}${fs ? ` (${fs})` : ""}`;
}

async function loadReports() {
  const kind = $("f-kind").value;
  const r = await api(`/api/v1/reports?limit=100${kind ? `&kind=${kind}` : ""}`);
  const rows = r.ok ? r.body.reports : [];
  $("reports").innerHTML = `<tr><th>${S.th_report}</th><th>${S.th_period}</th><th>${S.th_made}</th><th>${S.th_files}</th></tr>`
    + (rows.length ? rows.map((x) => `<tr data-report="${esc(x.id)}"><td><span class="tag level">${esc(KIND[x.kind] || x.kind)}</span>${esc(x.title)}</td>`
      + `<td>${esc(x.period.label)}</td><td class="desc">${esc(when(x.generated_at))}<br>${esc(x.trigger === "schedule" ? S.scheduled : x.generated_by)}</td>`
      + `<td class="fmt">${x.formats.map((f) => `<a href="${esc(x.links[f])}" data-format="${f}"${f === "html" ? ' target="_blank" rel="noopener"' : ` download="${esc(`${x.title}.${f}`)}"`}>${FMT[f] || f}</a>`).join("")}</td></tr>`).join("")
      : `<tr><td colspan="4" class="muted">${esc(S.no_reports)}</td></tr>`);
}

function makeForms() {
  if (!DATA.may_make) { $("make").innerHTML = `<div class="muted">${esc(S.read_only)}</div>`; return; }
  const yesterday = new Date(Date.parse(DATA.today) - 86400e3).toISOString().slice(0, 10);
  $("make").innerHTML = `<h3 class="muted">${esc(S.periodic)}</h3><div class="form"><label>${esc(S.kind)}</label><select id="m-kind">`
    + Object.entries(KIND).filter(([k]) => k !== "special").map(([k, v]) => `<option value="${k}">${v}</option>`).join("")
    + `</select><label>${esc(S.on_date)}</label><input type="date" id="m-date" value="${yesterday}">`
    + `<span></span><div><button class="primary" id="m-send">${esc(S.make_one)}</button></div></div>`
    + `<h3 class="muted">${esc(S.special)}</h3><div class="form"><label>${esc(S.topic)}</label><input id="s-topic" placeholder="${esc(S.topic_ph)}">`
    + `<label>${esc(S.area)}</label><select id="s-area"><option value="">${esc(S.whole_city)}</option>${DATA.counties.map((c) => `<option value="${c.code}">${esc(c.name)}</option>`).join("")}</select>`
    + `<label>${esc(S.span)}</label><div><input type="date" id="s-start" value="${yesterday}"> ${esc(S.to)} <input type="date" id="s-end" value="${yesterday}"></div>`
    + `<label>${esc(S.incident)}</label><input id="s-incident" placeholder="${esc(S.incident_ph)}">`
    + `<span></span><div><button class="primary" id="s-send">${esc(S.make_special)}</button></div></div>`;
}

function outcome(r, ok) {
  $("make-outcome").innerHTML = r.ok ? `<div class="outcome ok" data-outcome="ok">${esc(ok)}</div>` : `<div class="outcome err" data-outcome="error">${esc(errorText(r))}</div>`;
}

async function make() {
  $("make-outcome").innerHTML = `<div class="muted">${esc(S.making)}</div>`;
  const r = await api(`/api/v1/reports/${$("m-kind").value}`, { date: $("m-date").value });
  outcome(r, r.ok ? f(S.made, { t: r.body.title }) : "");
  await loadReports();
}

async function makeSpecial() {
  $("make-outcome").innerHTML = `<div class="muted">${esc(S.making)}</div>`;
  const inc = $("s-incident").value.trim();
  const body = { start: $("s-start").value, end: $("s-end").value, topic: $("s-topic").value.trim() || null,
    area: $("s-area").value ? [$("s-area").value] : [] };
  if (inc) body.incident_id = Number(inc);
  const r = await api("/api/v1/reports/special", body);
  outcome(r, r.ok ? f(S.made, { t: r.body.title }) : "");
  await loadReports();
}

function pct(v) { return v == null ? "—" : `${(v * 100).toFixed(1)}%`; }

function trend(now, before, lowerIsBetter) {
  if (now == null || before == null) return "";
  const d = (now - before) * 100;
  if (Math.abs(d) < 0.05) return `<span class="muted">${esc(S.flat)}</span>`;
  const good = lowerIsBetter ? d < 0 : d > 0;
  return `<span class="trend ${good ? "up" : "down"}">${d > 0 ? "↑" : "↓"}${Math.abs(d).toFixed(1)}</span>`;
}

function previousQuarter(q) {
  const y = Number(q.slice(0, 4));
  const n = Number(q.slice(5));
  return n === 1 ? `${y - 1}Q4` : `${y}Q${n - 1}`;
}

async function loadRanking() {
  const q = $("r-quarter").value.trim().toUpperCase();
  const kind = $("r-kind").value;
  const [now, before] = await Promise.all([
    api(`/api/v1/rankings?quarter=${q}&kind=${kind}`), api(`/api/v1/rankings?quarter=${previousQuarter(q)}&kind=${kind}`),
  ]);
  if (!now.ok) { $("ranking").innerHTML = `<tr><td class="muted">${esc(errorText(now))}</td></tr>`; $("followups").innerHTML = ""; return; }
  const prev = new Map(((before.ok && before.body.units) || []).map((u) => [u.code, u]));
  const R = now.body;
  $("ranking").innerHTML = `<tr><th>${S.th_rank}</th><th>${esc(S[kind])}</th><th>${S.th_score}</th><th>${S.th_received}</th>${RATES.map(([, l]) => `<th>${l}</th>`).join("")}</tr>`
    + (R.units.length ? R.units.map((u) => {
      const p = prev.get(u.code) || {};
      return `<tr class="${u.bottom ? "bottom" : ""}" data-unit="${esc(u.code)}"><td>${u.rank}${p.rank ? ` <span class="muted">${esc(f(S.last_quarter, { t: p.rank }))}</span>` : ""}</td><td>${esc(u.name || u.code)}${u.bottom ? ` <span class="tag overdue">${esc(S.bottom)}</span>` : ""}</td>`
        + `<td>${u.score == null ? "—" : u.score.toFixed(1)}</td><td>${u.received}</td>`
        + RATES.map(([k, , low]) => `<td class="rate">${pct(u[k])} ${trend(u[k], p[k], low)}</td>`).join("") + "</tr>";
    }).join("") : `<tr><td colspan="10" class="muted">${esc(S.no_data)}</td></tr>`);
  const fu = R.followups || [];
  $("followups").innerHTML = `<h3 class="muted">${esc(f(S.bottom_units, { t: DATA.lang === "en" ? q : R.label }))}</h3>`
    + (fu.length ? fu.map((u) => `<div class="item"><span class="tag ${u.status === "done" ? "done" : "open"}">${esc(FOLLOW[u.status] || u.status)}</span>`
      + `${esc(u.unit_name || u.unit_code)} ${esc(f(S.rank_no, { t: u.rank }))}`
      + `<div class="desc">${esc(f(S.explanation, { t: u.explanation ? f(S.by_at, { t: u.explanation, who: u.explained_by, at: when(u.explained_at) }) : S.not_explained }))}</div>`
      + `<div class="desc">${esc(f(S.interview, { t: u.interview_record ? f(S.by_at, { t: u.interview_record, who: u.interviewed_by, at: when(u.interview_at) }) : S.not_interviewed }))}</div></div>`).join("")
      : `<div class="muted">${esc(S.no_bottom)}</div>`);
}

document.addEventListener("click", (ev) => {
  const t = ev.target.closest("button");
  if (!t) return;
  if (t.id === "m-send") make();
  else if (t.id === "s-send") makeSpecial();
  else if (t.id === "r-load") loadRanking();
});
$("f-kind").addEventListener("change", loadReports);
$("r-quarter").value = DATA.quarter;
makeForms();
window.DC_REPORTS = { loadReports, loadRanking };
loadReports();
loadRanking();
