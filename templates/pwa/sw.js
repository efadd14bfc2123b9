{% load static %}/* Service worker: keeps the field shells (the county's 今日考评, an official's 离线自评), the
   static files and the evidence photos for offline use. The data itself (rubric, entries,
   drafts, new photos) lives in IndexedDB (static/js/field_core.js). */
"use strict";
const VERSION = "{{ version }}";
const SHELL = "field-shell-" + VERSION;
const PHOTOS = "field-photos";
const FIELD_URL = "{% url 'ratings:field' %}";
const FIELD_SELF_URL = "{% url 'ratings:field_self' %}";
// Each form's shell is kept under its own URL; only a real answer is kept (a 403 or a
// redirect for the other role is not), so the phone holds the shell of whoever uses it,
// and of nobody once they sign out.
const SHELLS = [FIELD_URL, FIELD_SELF_URL];
const PRECACHE = [
  ...SHELLS,
  "{% static 'css/app.css' %}",
  "{% static 'js/field_core.js' %}",
  "{% static 'js/field.js' %}",
  "{% static 'js/field_self.js' %}",
  "{% static 'js/pwa.js' %}",
  "{% static 'icons/icon-192.png' %}",
  "{% static 'icons/icon-512.png' %}",
  "{% url 'manifest' %}",
];
const STATIC_PREFIX = "{% get_static_prefix %}";
const EVIDENCE = /\/ratings\/evidence\/\d+\/$/;

async function keep(cache, url) {
  // Only a real answer is kept: a redirect to the login page must never stand in for the shell.
  try {
    const response = await fetch(url, { credentials: "same-origin" });
    if (response.ok && !response.redirected) await cache.put(url, response);
  } catch (e) { /* offline while installing: the next visit fills it */ }
}

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => Promise.all(PRECACHE.map((url) => keep(cache, url)))).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith("field-shell-") && n !== SHELL).map((n) => caches.delete(n))))
      .then(() => self.clients.claim())
  );
});

async function networkFirst(request, cacheName, key, fallbacks = []) {
  const cache = await caches.open(cacheName);
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected) await cache.put(key || request, response.clone());
    return response;
  } catch (e) {
    // Offline: this shell, else another one kept (the home-screen icon opens 今日考评,
    // which sends an official on to 离线自评 while online).
    for (const url of [key || request, ...fallbacks]) {
      const cached = await cache.match(url);
      if (cached) return cached;
    }
    throw e;
  }
}

async function cacheFirst(request, cacheName) {
  const cache = await caches.open(cacheName);
  const cached = await cache.match(request, { ignoreSearch: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && !response.redirected) await cache.put(request, response.clone());
  return response;
}

// Signing out forgets the kept shells: each names the user it was served to (and so their
// offline work on this phone), and the next person must never be shown it offline. Their
// own shell is kept on their first visit online.
const LOGOUT_URL = "{% url 'logout' %}";
async function forgetShells() {
  const cache = await caches.open(SHELL);
  await Promise.all(SHELLS.map((url) => cache.delete(url)));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === LOGOUT_URL) {
    event.waitUntil(forgetShells());
    return;
  }
  if (request.method !== "GET") return;
  if (SHELLS.includes(url.pathname)) {
    event.respondWith(networkFirst(request, SHELL, url.pathname, SHELLS.filter((u) => u !== url.pathname)));
  } else if (url.pathname.startsWith(STATIC_PREFIX) || url.pathname === "{% url 'manifest' %}") {
    event.respondWith(cacheFirst(request, SHELL));
  } else if (EVIDENCE.test(url.pathname)) {
    event.respondWith(cacheFirst(request, PHOTOS));
  }
});
