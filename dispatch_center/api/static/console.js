// The supervision console. A join link opens the city's video room in a new tab and
// records the join here; the request is signed in by the page's HttpOnly session cookie,
// so no token is ever in the page (window.dc.send adds the CSRF header, see http.js).
for (const a of document.querySelectorAll("a[data-join]")) {
  a.addEventListener("click", () => {
    window.dc.send("POST", `/api/v1/supervision/sessions/${encodeURIComponent(a.dataset.join)}/join`);
  });
}
