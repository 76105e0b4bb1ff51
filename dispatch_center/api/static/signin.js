// The sign-in page: posts the form to /api/v1/auth/session (which sets the HttpOnly
// session cookie and the CSRF cookie), then goes to / which sends the role to its screen.
(function () {
  "use strict";
  const CONFIG = JSON.parse(document.getElementById("dc-front").textContent);
  const S = CONFIG.strings;
  const form = document.getElementById("sign-in");
  const error = document.getElementById("sign-in-error");
  const button = document.getElementById("sign-in-button");
  const label = button.textContent;

  function show(text) {
    error.textContent = text;
    error.hidden = !text;
  }

  // ?next=/dispatch (set by a page that asked for a sign-in): back there afterwards, but
  // only to a path of this site, never to another origin ("//x", "/\\x", "https:").
  function next() {
    const n = new URLSearchParams(location.search).get("next") || "";
    return /^\/(?![\/\\])[^\s]*$/.test(n) ? n : "";
  }

  function wait(seconds) {
    const n = Math.max(1, Math.ceil(Number(seconds) || 1));
    return n >= 90 ? S.minutes.replace("{n}", Math.ceil(n / 60)) : S.seconds.replace("{n}", n);
  }

  // Switching language keeps where the person is going afterwards.
  const switcher = document.getElementById("lang-switch");
  if (switcher && next()) {
    const u = new URL(switcher.href);
    u.searchParams.set("next", next());
    switcher.href = u.pathname + u.search;
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = new URLSearchParams(new FormData(form));
    if (!body.get("username") || !body.get("password")) {
      show(S.missing);
      return;
    }
    show("");
    button.disabled = true;
    button.textContent = S.signing_in;
    let r = null;
    try {
      r = await fetch("/api/v1/auth/session", { method: "POST", credentials: "same-origin", body });
    } catch (e) {
      show(S.network);
    }
    if (r && r.ok) {
      location.assign(next() || (CONFIG.lang === "en" ? "/?lang=en" : "/"));
      return;
    }
    if (r) {
      let reason = "";
      try { reason = ((await r.json()).error || {}).message || ""; } catch (e) { /* not JSON */ }
      if (r.status === 401) show(S.wrong_password);
      else if (r.status === 429) show(S.throttled.replace("{wait}", wait(r.headers.get("Retry-After"))));
      else if (r.status === 422) show(S.missing);
      else show(S.refused.replace("{reason}", reason || String(r.status)));
    }
    button.disabled = false;
    button.textContent = label;
    document.getElementById("password").select();
  });
})();
