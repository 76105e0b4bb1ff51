// The knowledge base's page (/kb): a unit writes its articles, the center reviews and
// publishes them, both read the versions and the gaps. Data comes from /api/v1/kb with the
// session cookie; every change sends the CSRF header (cookie dc_csrf).
(function () {
  "use strict";
  const DATA = JSON.parse(document.getElementById("page-data").textContent);
  const T = DATA.strings;
  const $ = (id) => document.getElementById(id);
  let current = null;

  function csrf() {
    const m = document.cookie.match(/(?:^|;\s*)dc_csrf=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  // The one way this page talks to the server.
  async function api(method, path, body) {
    const headers = { "Accept": "application/json" };
    if (method !== "GET") headers["X-CSRF-Token"] = csrf();
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const r = await fetch(path, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await r.json().catch(() => ({}));
    if (!r.ok) {
      const e = json.error || {};
      const fields = Object.keys(e.fields || {}).join(", ");
      throw new Error((e.message || r.status) + (fields ? " (" + fields + ")" : ""));
    }
    return json;
  }

  function el(tag, attrs, ...children) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") n.className = v; else if (k.startsWith("data-")) n.setAttribute(k, v); else n[k] = v;
    }
    for (const c of children) if (c !== null && c !== undefined) n.append(c);
    return n;
  }

  function say(text, ok) {
    $("message").textContent = text || "";
    $("message").classList.toggle("ok", Boolean(ok));
  }
  function tag(status) { return el("span", { class: "tag " + status }, T.status[status] || status); }

  async function loadList() {
    const q = $("q").value.trim();
    const list = $("articles");
    list.replaceChildren();
    let items;
    try {
      if (q) {
        items = (await api("GET", "/api/v1/kb/search?q=" + encodeURIComponent(q))).items
          .map((i) => ({ ...i, status: "published" }));
      } else {
        const s = $("status").value;
        items = (await api("GET", "/api/v1/kb/articles?limit=200" + (s ? "&status=" + s : ""))).items;
      }
    } catch (e) { say(e.message); return; }
    if (!items.length) list.append(el("li", { class: "muted" }, T.none));
    for (const a of items) {
      const li = el("li", { "data-id": a.id }, tag(a.status), a.title,
        el("div", { class: "muted" }, (a.owner_name || a.owner) + (a.valid_until ? " · " + T.until + " " + a.valid_until : "")));
      li.addEventListener("click", () => show(a.id));
      list.append(li);
    }
  }

  async function loadGaps() {
    const table = $("gaps");
    if (!DATA.may_read_gaps) { $("gaps-title").hidden = true; return; }
    try {
      const gaps = (await api("GET", "/api/v1/kb/gaps")).items;
      table.replaceChildren(el("tr", {}, el("th", {}, T.gap_query), el("th", {}, T.gap_calls)));
      if (!gaps.length) table.append(el("tr", {}, el("td", { class: "muted" }, T.none)));
      for (const g of gaps.slice(0, 15)) table.append(el("tr", {}, el("td", {}, g.query), el("td", {}, String(g.calls))));
    } catch (e) { say(e.message); }
  }

  async function show(id) {
    say("");
    $("editor").hidden = true;
    for (const li of document.querySelectorAll("#articles li")) li.classList.toggle("on", li.dataset.id === id);
    let a, versions;
    try {
      a = await api("GET", "/api/v1/kb/articles/" + id);
      versions = (await api("GET", "/api/v1/kb/articles/" + id + "/versions")).items;
    } catch (e) { say(e.message); return; }
    current = a;
    const actions = el("div", { class: "bar" });
    const may = DATA.may;
    const button = (label, action, enabled) => {
      const b = el("button", { class: "secondary", "data-action": action }, label);
      b.disabled = !enabled;
      b.addEventListener("click", () => act(action));
      return b;
    };
    if (may.edit) actions.append(button(T.edit, "edit", true));
    if (may.review) actions.append(button(T.review, "review", a.status === "draft"));
    if (may.review) actions.append(button(T.publish, "publish", a.status === "reviewed"));
    if (may.edit || may.review) actions.append(button(T.expire, "expire", a.status !== "expired"));
    const vt = el("table", {}, el("tr", {}, el("th", {}, "#"), el("th", {}, T.action), el("th", {}, T.by), el("th", {}, T.at)));
    for (const v of versions) vt.append(el("tr", {}, el("td", {}, String(v.version)), el("td", {}, T.actions[v.action] || v.action), el("td", {}, v.by), el("td", {}, v.at.slice(0, 16).replace("T", " "))));
    $("view").replaceChildren(
      el("h2", {}, tag(a.status), a.title),
      el("div", { class: "muted" }, (a.owner_name || a.owner) + " · v" + a.version + (a.demo ? " · " + T.demo : "")),
      a.questions.length ? el("p", { class: "muted" }, T.asked + "：" + a.questions.join("；")) : null,
      el("p", { class: "answer" }, a.answer),
      el("p", { class: "muted" }, T.source + "：" + (a.policy_source || "—") + (a.valid_until ? "　" + T.until + " " + a.valid_until : "")),
      actions,
      el("h2", {}, T.versions), vt);
  }

  async function act(action) {
    if (action === "edit") return openEditor(current);
    try {
      await api("POST", "/api/v1/kb/articles/" + current.id + "/" + action, { version: current.version });
      await loadList();
      await show(current.id);
      say(T.done, true);
    } catch (e) { say(e.message); }
  }

  function openEditor(a) {
    current = a;
    $("view").replaceChildren();
    $("editor").hidden = false;
    $("f-owner").value = a ? a.owner : (DATA.unit || "");
    $("f-owner").readOnly = Boolean(a);
    $("f-title").value = a ? a.title : "";
    $("f-questions").value = a ? a.questions.join("\n") : "";
    $("f-answer").value = a ? a.answer : "";
    $("f-source").value = a ? a.policy_source : "";
    $("f-until").value = a && a.valid_until ? a.valid_until : "";
    $("f-title").focus();
  }

  $("editor").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = {
      title: $("f-title").value, answer: $("f-answer").value, policy_source: $("f-source").value,
      questions: $("f-questions").value.split("\n").map((s) => s.trim()).filter(Boolean),
      valid_until: $("f-until").value || null,
    };
    try {
      const saved = current
        ? await api("PATCH", "/api/v1/kb/articles/" + current.id, { ...body, version: current.version })
        : await api("POST", "/api/v1/kb/articles", { ...body, owner: $("f-owner").value || null });
      await loadList();
      await show(saved.id);
      say(T.saved, true);
    } catch (e) { say(e.message); }
  });
  $("cancel").addEventListener("click", () => { $("editor").hidden = true; if (current) show(current.id); });

  // Static words of the page.
  $("who").textContent = DATA.who;
  $("q").placeholder = T.search;
  $("new").textContent = T.new;
  $("new").hidden = !DATA.may.edit;
  $("new").addEventListener("click", () => openEditor(null));
  $("gaps-title").textContent = T.gaps;
  for (const n of document.querySelectorAll("[data-t]")) n.textContent = T[n.dataset.t];
  const sel = $("status");
  sel.append(el("option", { value: "" }, T.all));
  for (const s of ["draft", "reviewed", "published", "expired"]) sel.append(el("option", { value: s }, T.status[s]));
  sel.addEventListener("change", loadList);
  let timer = null;
  $("q").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(loadList, 200); });
  loadList();
  loadGaps();
})();
