// The workbench's service worker (served at /handler/sw.js, scope /handler): keeps the
// page's shell, its scripts, Leaflet and the county outlines, so the workbench opens on a
// weak network or none. Orders are not kept here: the page keeps its own copy and its
// queue of actions (handler.js). Nothing but GETs of our own origin is touched.
const CACHE = "dc-handler-v1";
const SHELL = [
  "/handler",
  "/static/app/handler.js",
  "/static/app/handler.css",
  "/static/app/handler-icon.svg",
  "/static/vendor/leaflet/leaflet.js",
  "/static/vendor/leaflet/leaflet.css",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const answer = await fetch(request);
    if (answer.ok) cache.put(request, answer.clone());
    return answer;
  } catch (err) {
    const kept = await cache.match(request, { ignoreSearch: true });
    if (kept) return kept;
    throw err;
  }
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  const shell = url.pathname === "/handler" || url.pathname.startsWith("/static/")
    || url.pathname === "/api/v1/geo/areas";
  if (shell) event.respondWith(networkFirst(event.request));
});

// Web Push: new orders, reminders and 督办 of the unit (messaging/webpush.py).
self.addEventListener("push", (event) => {
  let data = { title: "乐山12345", body: "", url: "/handler" };
  try { data = { ...data, ...event.data.json() }; } catch { /* a plain text push */ }
  event.waitUntil(self.registration.showNotification(data.title, {
    body: data.body, data: { url: data.url }, icon: "/static/app/handler-icon.svg", lang: "zh-CN",
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || "/handler";
  event.waitUntil(self.clients.matchAll({ type: "window" }).then((list) => {
    const open = list.find((c) => new URL(c.url).pathname === "/handler");
    return open ? open.focus() : self.clients.openWindow(url);
  }));
});
