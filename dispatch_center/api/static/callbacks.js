// The callback desk: a rating, then solved or not, records the callback (two clicks).
// Requests carry the page's HttpOnly session cookie and the CSRF header; no token here.
"use strict";

function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)dc_csrf=([^;]*)/);
  return m ? decodeURIComponent(m[1]) : "";
}

// Every state-changing request of this page goes through here.
function send(url, body) {
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const TEXT = JSON.parse(document.getElementById("desk-text").textContent);

function finish(row, ok, message) {
  const cell = row.querySelector(".outcome") || row.lastElementChild;
  cell.textContent = message;
  cell.className = ok ? "done" : "error";
}

for (const row of document.querySelectorAll("tr[data-callback]")) {
  const cell = row.querySelector(".outcome");
  let rating = null;
  for (const b of cell.querySelectorAll("button[data-rating]")) {
    b.addEventListener("click", () => {
      rating = b.dataset.rating;
      for (const other of cell.querySelectorAll("button[data-rating]")) {
        other.classList.toggle("chosen", other === b);
      }
      cell.classList.add("rated");
    });
  }
  for (const b of cell.querySelectorAll("button[data-solved]")) {
    b.addEventListener("click", async () => {
      if (!rating) return;
      const solved = b.dataset.solved === "true";
      const url = `/api/v1/supervision/callbacks/${encodeURIComponent(row.dataset.callback)}`;
      const r = await send(url, { rating, solved });
      const data = await r.json().catch(() => ({}));
      if (r.ok) {
        finish(row, true, `${TEXT.saved}: ${data.verdict || ""}`);
      } else {
        finish(row, false, (data.error && data.error.message) || String(r.status));
      }
    });
  }
}

for (const b of document.querySelectorAll("button[data-handled]")) {
  b.addEventListener("click", async () => {
    const r = await send(`/api/v1/callback-desk/replies/${encodeURIComponent(b.dataset.handled)}/done`);
    finish(b.closest("tr"), r.ok, r.ok ? TEXT.saved : String(r.status));
  });
}
