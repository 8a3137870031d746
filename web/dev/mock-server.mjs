// A tiny stand-in for farmgate while the real /api/v1 is being written: serves dist/ and the
// agreed API shapes from memory, with an SSE stream. For manual checks only:
//   npm run build && node dev/mock-server.mjs [port]     (user farmer / password farmer)
// POST /__drop makes the stream drop (to see the offline banner); irrigating zone "z2" is
// refused, as the supervisor would when the pump has not rested.
import { createServer } from 'node:http';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { join, normalize, extname } from 'node:path';
import { randomBytes } from 'node:crypto';

const port = Number(process.argv[2] || 8090);
const dist = new URL('../dist', import.meta.url).pathname;
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.webmanifest': 'application/manifest+json' };

const now = () => Date.now();
const sessions = new Map(); // cookie -> {user, role, csrf}
const users = { farmer: 'farmer', viewer: 'viewer' };
const zones = [
  { id: 'z1', name: 'Vườn cà phê', moisture: { value: 24, unit: '%', ts: now() }, trend: 'down', valve: 'off', pump: 'off', run: null, last_run: { id: 7, start: now() - 86400000, end: now() - 86400000 + 600000, outcome: 'completed', volume_l: 820 }, next_run: null, readings: {} },
  { id: 'z2', name: 'Vườn tiêu', moisture: { value: 38, unit: '%', ts: now() }, trend: 'flat', valve: 'off', pump: 'off', run: null, last_run: null, next_run: null, readings: {} },
  { id: 'z3', name: 'Rau', moisture: { value: 52, unit: '%', ts: now() }, trend: 'up', valve: 'unknown', pump: 'off', run: null, last_run: null, next_run: null, readings: {} },
];
const alarms = [{ id: 1, ts: now() - 3600000, severity: 'critical', code: 'probe_silent', source: 'z1/probe-1', message: 'Cảm biến z1 không gửi số liệu 2 giờ', acked_by: null, acked_at: null }];
const runs = [];
let nextRun = 8;
const streams = new Set();

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
}
const err = (res, status, error, reason) => send(res, status, { error, reason });
function broadcast(event, data) {
  for (const s of streams) s.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}
function session(req) {
  const m = /(?:^|;\s*)fg_session=([^;]+)/.exec(req.headers.cookie || '');
  return m ? sessions.get(m[1]) : undefined;
}
async function body(req) {
  let s = '';
  for await (const c of req) s += c;
  try {
    return JSON.parse(s || '{}');
  } catch {
    return null;
  }
}

createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname;
  if (!p.startsWith('/api/') && p !== '/__drop') {
    const file = normalize(join(dist, p === '/' ? 'index.html' : p));
    if (!file.startsWith(dist) || !existsSync(file) || statSync(file).isDirectory()) return err(res, 404, 'not_found', 'no such file');
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-cache' });
    return res.end(readFileSync(file));
  }
  if (p === '/__drop') {
    for (const s of streams) s.destroy();
    return send(res, 204);
  }
  if (p === '/api/v1/session' && req.method === 'POST') {
    const b = await body(req);
    if (!b || users[b.user] !== b.password) return err(res, 401, 'unauthorized', 'wrong user or password');
    const id = randomBytes(16).toString('hex');
    const s = { user: b.user, role: b.user === 'viewer' ? 'viewer' : 'farmer', csrf: randomBytes(16).toString('hex') };
    sessions.set(id, s);
    return send(res, 200, s, { 'Set-Cookie': `fg_session=${id}; HttpOnly; SameSite=Strict; Path=/` });
  }
  const s = session(req);
  if (!s) return err(res, 401, 'unauthorized', 'sign in first');
  if (req.method !== 'GET' && req.headers['x-csrf-token'] !== s.csrf) return err(res, 403, 'csrf', 'missing or wrong X-CSRF-Token');
  if (p === '/api/v1/session' && req.method === 'GET') return send(res, 200, s);
  if (p === '/api/v1/session' && req.method === 'DELETE') return send(res, 204);
  if (p === '/api/v1/zones') return send(res, 200, { zones });
  if (p === '/api/v1/alarms') return send(res, 200, { alarms: url.searchParams.get('active') === '1' ? alarms.filter((a) => !a.acked_at) : alarms });
  if (p === '/api/v1/runs') return send(res, 200, { runs: runs.filter((r) => !url.searchParams.get('zone') || r.zone === url.searchParams.get('zone')) });
  if (p === '/api/v1/events') {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    res.write(': hello\n\n');
    streams.add(res);
    req.on('close', () => streams.delete(res));
    return;
  }
  let m;
  if ((m = /^\/api\/v1\/alarms\/(\d+)\/ack$/.exec(p)) && req.method === 'POST') {
    const a = alarms.find((x) => x.id === Number(m[1]));
    if (!a) return err(res, 404, 'not_found', 'no such alarm');
    Object.assign(a, { acked_by: s.user, acked_at: now() });
    broadcast('alarm', a);
    return send(res, 200, { id: a.id, acked_by: a.acked_by, acked_at: a.acked_at });
  }
  if ((m = /^\/api\/v1\/zones\/([^/]+)\/series$/.exec(p))) {
    const from = Number(url.searchParams.get('from')), to = Number(url.searchParams.get('to'));
    const n = Math.min(300, Number(url.searchParams.get('points') || 300));
    const points = Array.from({ length: n }, (_, i) => {
      const ts = from + ((to - from) * i) / (n - 1);
      const v = 35 + 12 * Math.sin(ts / 2.5e7);
      return [Math.round(ts), v, v - 2, v + 2];
    });
    return send(res, 200, { zone: m[1], metric: 'soil.moisture', unit: '%', points });
  }
  if ((m = /^\/api\/v1\/zones\/([^/]+)\/(irrigate|stop)$/.exec(p)) && req.method === 'POST') {
    const z = zones.find((x) => x.id === decodeURIComponent(m[1]));
    if (!z) return err(res, 404, 'not_found', 'no such zone');
    if (m[2] === 'stop') {
      if (!z.run) return err(res, 409, 'refused', 'not running');
      const r = runs.find((x) => x.id === z.run.id);
      Object.assign(r, { end: now(), outcome: 'stopped' });
      z.last_run = { id: r.id, start: r.start, end: r.end, outcome: r.outcome, volume_l: 10 };
      Object.assign(z, { run: null, valve: 'off', pump: 'off' });
      broadcast('zone', z);
      broadcast('run', r);
      return send(res, 200, {});
    }
    if (s.role === 'viewer') return err(res, 403, 'forbidden', 'viewers cannot irrigate');
    const b = await body(req);
    if (z.id === 'z2') return err(res, 409, 'refused', 'min_off: pump rested 40 s of 120 s');
    if (z.run) return err(res, 409, 'refused', 'already running');
    const granted_ms = Math.min(20, Number(b?.minutes) || 10) * 60000;
    const r = { id: nextRun++, zone: z.id, actuators: ['valve-' + z.id, 'pump'], start: now(), end: null, reason: 'manual', who: s.user, outcome: null, detail: '', volume_l: null };
    runs.push(r);
    Object.assign(z, { run: { id: r.id, start: r.start, granted_ms, reason: 'manual', who: s.user }, valve: 'on', pump: 'on' });
    broadcast('zone', z);
    broadcast('run', r);
    return send(res, 200, { run_id: r.id, granted_ms });
  }
  return err(res, 404, 'not_found', 'no such route');
}).listen(port, '127.0.0.1', () => console.log(`mock farmgate on http://127.0.0.1:${port}/ (farmer/farmer)`));

// A slowly drying zone, so the live updates show.
setInterval(() => {
  zones[0].moisture = { value: Math.max(5, zones[0].moisture.value - 0.5), unit: '%', ts: now() };
  broadcast('zone', zones[0]);
}, 10000);
setInterval(() => { for (const s of streams) s.write(': ping\n\n'); }, 15000);
