// 报告室 (/reports): the kept reports (open HTML, download PDF/XLSX/CSV), making one for a
// period or a special report (专报), and the quarterly ranking with each unit's six rates,
// their trend against the quarter before, and the bottom units' explanations and interviews.
// Signed in by the HttpOnly session cookie: no token here.
const DATA = JSON.parse(document.getElementById("dc-reports").textContent);
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const KIND = { daily: "日报", weekly: "周报", monthly: "月报", quarterly: "季报", annual: "年报", special: "专报" };
const FMT = { html: "网页", pdf: "PDF", xlsx: "Excel", csv: "CSV" };
const RATES = [["response_rate", "响应率"], ["resolution_rate", "解决率"], ["on_time_rate", "按时办结率"],
  ["satisfaction_rate", "满意率"], ["return_rate", "退单率", true], ["reopen_rate", "重办率", true]];
const FOLLOW = { awaiting_explanation: "待书面说明", awaiting_interview: "待约谈", done: "已约谈" };

function when(iso) {
  if (!iso) return "";
  const p = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", year: "numeric", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false }).formatToParts(new Date(iso));
  const v = Object.fromEntries(p.map((x) => [x.type, x.value]));
  return `${v.year}年${v.month}月${v.day}日 ${v.hour}:${v.minute}`;
}

// The front door's CSRF contract: every state change carries X-CSRF-Token = cookie dc_csrf.
function csrf() {
  const m = document.cookie.match(/(?:^|;\s*)dc_csrf=([^;]*)/);
  return m ? { "X-CSRF-Token": decodeURIComponent(m[1]) } : {};
}

async function api(url, body) {
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
  const f = e.fields ? Object.entries(e.fields).map(([k, v]) => `${k}: ${v}`).join("；") : "";
  return `${e.message || r.status}${f ? `（${f}）` : ""}`;
}

async function loadReports() {
  const kind = $("f-kind").value;
  const r = await api(`/api/v1/reports?limit=100${kind ? `&kind=${kind}` : ""}`);
  const rows = r.ok ? r.body.reports : [];
  $("reports").innerHTML = `<tr><th>报告</th><th>期间</th><th>生成</th><th>文件</th></tr>`
    + (rows.length ? rows.map((x) => `<tr data-report="${esc(x.id)}"><td><span class="tag level">${esc(KIND[x.kind] || x.kind)}</span>${esc(x.title)}</td>`
      + `<td>${esc(x.period.label)}</td><td class="desc">${esc(when(x.generated_at))}<br>${esc(x.trigger === "schedule" ? "定时生成" : x.generated_by)}</td>`
      + `<td class="fmt">${x.formats.map((f) => `<a href="${esc(x.links[f])}" data-format="${f}"${f === "html" ? ' target="_blank" rel="noopener"' : ` download="${esc(`${x.title}.${f}`)}"`}>${FMT[f] || f}</a>`).join("")}</td></tr>`).join("")
      : `<tr><td colspan="4" class="muted">暂无报告</td></tr>`);
}

function makeForms() {
  if (!DATA.may_make) { $("make").innerHTML = `<div class="muted">审计员只读</div>`; return; }
  const yesterday = new Date(Date.parse(DATA.today) - 86400e3).toISOString().slice(0, 10);
  $("make").innerHTML = `<h3 class="muted">定期报告</h3><div class="form"><label>类别</label><select id="m-kind">`
    + Object.entries(KIND).filter(([k]) => k !== "special").map(([k, v]) => `<option value="${k}">${v}</option>`).join("")
    + `</select><label>所在日期</label><input type="date" id="m-date" value="${yesterday}">`
    + `<span></span><div><button class="primary" id="m-send">生成</button></div></div>`
    + `<h3 class="muted">专报</h3><div class="form"><label>主题</label><input id="s-topic" placeholder="如：冬季供水保障">`
    + `<label>区域</label><select id="s-area"><option value="">全市</option>${DATA.counties.map((c) => `<option value="${c.code}">${esc(c.name)}</option>`).join("")}</select>`
    + `<label>起止</label><div><input type="date" id="s-start" value="${yesterday}"> 至 <input type="date" id="s-end" value="${yesterday}"></div>`
    + `<label>关联事件</label><input id="s-incident" placeholder="事件编号（可选）">`
    + `<span></span><div><button class="primary" id="s-send">生成专报</button></div></div>`;
}

function outcome(r, ok) {
  $("make-outcome").innerHTML = r.ok ? `<div class="outcome ok" data-outcome="ok">${esc(ok)}</div>` : `<div class="outcome err" data-outcome="error">${esc(errorText(r))}</div>`;
}

async function make() {
  $("make-outcome").innerHTML = `<div class="muted">生成中…</div>`;
  const r = await api(`/api/v1/reports/${$("m-kind").value}`, { date: $("m-date").value });
  outcome(r, r.ok ? `已生成：${r.body.title}` : "");
  await loadReports();
}

async function makeSpecial() {
  $("make-outcome").innerHTML = `<div class="muted">生成中…</div>`;
  const inc = $("s-incident").value.trim();
  const body = { start: $("s-start").value, end: $("s-end").value, topic: $("s-topic").value.trim() || null,
    area: $("s-area").value ? [$("s-area").value] : [] };
  if (inc) body.incident_id = Number(inc);
  const r = await api("/api/v1/reports/special", body);
  outcome(r, r.ok ? `已生成：${r.body.title}` : "");
  await loadReports();
}

function pct(v) { return v == null ? "—" : `${(v * 100).toFixed(1)}%`; }

function trend(now, before, lowerIsBetter) {
  if (now == null || before == null) return "";
  const d = (now - before) * 100;
  if (Math.abs(d) < 0.05) return `<span class="muted">持平</span>`;
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
  $("ranking").innerHTML = `<tr><th>名次</th><th>${kind === "county" ? "区县" : "部门"}</th><th>综合得分</th><th>受理</th>${RATES.map(([, l]) => `<th>${l}</th>`).join("")}</tr>`
    + (R.units.length ? R.units.map((u) => {
      const p = prev.get(u.code) || {};
      return `<tr class="${u.bottom ? "bottom" : ""}" data-unit="${esc(u.code)}"><td>${u.rank}${p.rank ? ` <span class="muted">(上季${p.rank})</span>` : ""}</td><td>${esc(u.name || u.code)}${u.bottom ? ' <span class="tag overdue">末位</span>' : ""}</td>`
        + `<td>${u.score == null ? "—" : u.score.toFixed(1)}</td><td>${u.received}</td>`
        + RATES.map(([k, , low]) => `<td class="rate">${pct(u[k])} ${trend(u[k], p[k], low)}</td>`).join("") + "</tr>";
    }).join("") : `<tr><td colspan="10" class="muted">本季度暂无数据</td></tr>`);
  const fu = R.followups || [];
  $("followups").innerHTML = `<h3 class="muted">末位单位书面说明与约谈（${esc(R.label)}）</h3>`
    + (fu.length ? fu.map((f) => `<div class="item"><span class="tag ${f.status === "done" ? "done" : "open"}">${esc(FOLLOW[f.status] || f.status)}</span>`
      + `${esc(f.unit_name || f.unit_code)} 第${f.rank}名`
      + `<div class="desc">书面说明：${f.explanation ? `${esc(f.explanation)}（${esc(f.explained_by)}，${esc(when(f.explained_at))}）` : "尚未提交"}</div>`
      + `<div class="desc">约谈记录：${f.interview_record ? `${esc(f.interview_record)}（${esc(f.interviewed_by)}，${esc(when(f.interview_at))}）` : "尚未约谈"}</div></div>`).join("")
      : `<div class="muted">暂无末位单位（季度结束后生成）</div>`);
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
