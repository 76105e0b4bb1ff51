// The wall link: POST /api/v1/auth/wall-token, then the link is shown once in a field to
// copy. It never enters this page's address, history or storage. Below, the links this
// person made (GET /api/v1/auth/wall-links), each with a button to revoke it.
(function () {
  "use strict";
  const S = JSON.parse(document.getElementById("dc-front").textContent).strings;
  const make = document.getElementById("make-wall-link");
  const out = document.getElementById("wall-link-out");
  const field = document.getElementById("wall-link-url");
  const copy = document.getElementById("copy-wall-link");
  const error = document.getElementById("wall-link-error");
  const table = document.getElementById("wall-links");
  const listError = document.getElementById("wall-links-error");

  function when(iso) {
    return new Intl.DateTimeFormat(document.documentElement.lang, {
      timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hour12: false,
    }).format(new Date(iso));
  }

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function showListError(template, r, body) {
    const reason = (body && body.error && body.error.message) || (r ? String(r.status) : S.network);
    listError.textContent = template.replace("{reason}", reason);
    listError.hidden = false;
  }

  async function loadLinks() {
    let r = null;
    let body = null;
    try {
      r = await window.dc.send("GET", "/api/v1/auth/wall-links");
      body = await r.json();
    } catch (e) { /* shown below */ }
    if (!r || !r.ok || !body) { showListError("{reason}", r, body); return; }
    listError.hidden = true;
    table.replaceChildren();
    const head = document.createElement("tr");
    for (const k of ["wall_link_issued", "wall_link_expires", "wall_link_status", ""]) {
      const th = document.createElement("th");
      th.textContent = k ? S[k] : "";
      head.appendChild(th);
    }
    table.appendChild(head);
    if (!body.items.length) {
      const row = document.createElement("tr");
      cell(row, S.wall_links_none).colSpan = 4;
      table.appendChild(row);
    }
    for (const link of body.items) {
      const row = document.createElement("tr");
      row.dataset.link = link.id;
      row.dataset.status = link.status;
      cell(row, when(link.issued_at));
      cell(row, when(link.expires_at));
      cell(row, S[`wall_link_${link.status}`] || link.status);
      const act = cell(row, "");
      if (link.status === "active") {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "revoke-wall-link";
        b.textContent = S.wall_link_revoke;
        b.addEventListener("click", () => revoke(link.id, b));
        act.appendChild(b);
      }
      table.appendChild(row);
    }
  }

  async function revoke(id, button) {
    button.disabled = true;
    let r = null;
    let body = null;
    try {
      r = await window.dc.send("POST", `/api/v1/auth/wall-links/${encodeURIComponent(id)}/revoke`);
      try { body = await r.json(); } catch (e) { /* not JSON */ }
    } catch (e) { /* shown below */ }
    if (r && r.ok) { await loadLinks(); return; }
    showListError(S.wall_link_revoke_failed, r, body);
    button.disabled = false;
  }

  make.addEventListener("click", async () => {
    make.disabled = true;
    error.hidden = true;
    let r = null;
    try {
      r = await window.dc.send("POST", "/api/v1/auth/wall-token");
    } catch (e) {
      error.textContent = S.network;
      error.hidden = false;
    }
    if (r) {
      let body = null;
      try { body = await r.json(); } catch (e) { /* not JSON */ }
      if (r.ok && body && body.access_token) {
        field.value = `${location.origin}/wallboard?token=${encodeURIComponent(body.access_token)}`;
        out.hidden = false;
        document.getElementById("wall-link-valid").hidden = false;
        document.getElementById("wall-link-warn").hidden = false;
        field.focus();
        field.select();
        loadLinks();
      } else {
        const reason = (body && body.error && body.error.message) || String(r.status);
        error.textContent = S.wall_link_failed.replace("{reason}", reason);
        error.hidden = false;
      }
    }
    make.disabled = false;
  });

  copy.addEventListener("click", async () => {
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
    } catch (e) {
      document.execCommand("copy"); // plain http on a closed network: no clipboard API
    }
    copy.textContent = S.wall_link_copied;
    setTimeout(() => { copy.textContent = S.wall_link_copy; }, 2000);
  });

  loadLinks();
})();
