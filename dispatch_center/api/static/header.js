// The shared page header: sign-out ends the session (every token of the person, on every
// device; wall links they made keep running) and goes back to the sign-in page, in the
// page's language.
(function () {
  "use strict";
  const nav = document.getElementById("dc-nav");
  const out = document.getElementById("dc-sign-out");
  if (!nav || !out) return;
  out.addEventListener("click", async () => {
    out.disabled = true;
    try {
      await window.dc.send("POST", "/api/v1/auth/logout");
    } catch (e) {
      // Offline: the cookie stays, but the sign-in page is still where the person goes.
    }
    location.assign(nav.dataset.lang === "en" ? "/?lang=en" : "/");
  });
})();
