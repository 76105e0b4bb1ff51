// The supervision console. A join link opens the city's video room in a new tab and
// records the join here; the request is signed in by the page's HttpOnly session cookie,
// so no token is ever in the page.
for (const a of document.querySelectorAll("a[data-join]")) {
  a.addEventListener("click", () => {
    fetch(`/api/v1/supervision/sessions/${encodeURIComponent(a.dataset.join)}/join`, {
      method: "POST",
      credentials: "same-origin",
    });
  });
}
