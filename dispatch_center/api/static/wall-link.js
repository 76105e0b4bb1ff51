// The wall link: POST /api/v1/auth/wall-token, then the link is shown once in a field to
// copy. It never enters this page's address, history or storage.
(function () {
  "use strict";
  const S = JSON.parse(document.getElementById("dc-front").textContent).strings;
  const make = document.getElementById("make-wall-link");
  const out = document.getElementById("wall-link-out");
  const field = document.getElementById("wall-link-url");
  const copy = document.getElementById("copy-wall-link");
  const error = document.getElementById("wall-link-error");

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
})();
