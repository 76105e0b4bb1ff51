// The one way a page script sends a change: the session cookie signs it in, and the
// header X-CSRF-Token repeats the dc_csrf cookie (a double-submit cookie: another site's
// page can neither read it nor set our headers). A GET needs no header.
//   const r = await window.dc.send("POST", "/api/v1/orders", { ... });
// A body that is URLSearchParams or FormData goes as is; any other object as JSON.
(function () {
  "use strict";
  if (window.dc && window.dc.send) return;

  function cookie(name) {
    for (const part of document.cookie.split(";")) {
      const i = part.indexOf("=");
      if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
    }
    return "";
  }

  // The server sets dc_csrf at sign-in; a session made before it did gets one here (any
  // unguessable value works: the check is that header and cookie agree).
  function csrfToken() {
    let value = cookie("dc_csrf");
    if (!value) {
      const bytes = new Uint8Array(24);
      crypto.getRandomValues(bytes);
      value = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      const secure = location.protocol === "https:" ? "; Secure" : "";
      document.cookie = `dc_csrf=${value}; Path=/; SameSite=Strict${secure}`;
    }
    return value;
  }

  function headers(extra) {
    return { "X-CSRF-Token": csrfToken(), ...(extra || {}) };
  }

  function send(method, url, body, options) {
    const opts = { ...(options || {}) };
    const h = { ...(opts.headers || {}) };
    let payload = body;
    if (body !== undefined && body !== null && !(body instanceof URLSearchParams) && !(body instanceof FormData) && typeof body !== "string") {
      payload = JSON.stringify(body);
      h["Content-Type"] = h["Content-Type"] || "application/json";
    }
    const m = String(method || "GET").toUpperCase();
    return fetch(url, {
      ...opts,
      method: m,
      credentials: "same-origin",
      headers: m === "GET" || m === "HEAD" ? h : headers(h),
      body: payload === undefined ? undefined : payload,
    });
  }

  window.dc = Object.freeze({ send, headers, csrfToken, cookie });
})();
