// The service worker: keeps the app shell (page, script, style, icons) so the page opens with no
// network. The API is never cached here: the page keeps its own last data (localStorage) and
// shows it under the offline banner. __VERSION__ and __SHELL__ are filled in by the build.
const CACHE = 'fg-shell-__VERSION__';
const SHELL = __SHELL__;

self.addEventListener('install', (ev) => {
  ev.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (ev) => {
  ev.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('fg-shell-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (ev) => {
  const req = ev.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  if (req.mode === 'navigate') {
    // The page: fresh when the gateway answers, the cached shell when it does not.
    ev.respondWith(fetch(req).catch(() => caches.match('/index.html')));
    return;
  }
  // Shell files are named by content hash: the cache is always right when it has them.
  ev.respondWith(caches.match(req).then((hit) => hit || fetch(req)));
});
