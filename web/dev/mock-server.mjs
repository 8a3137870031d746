// A tiny stand-in for farmgate while the real /api/v1 is being written: serves dist/ and the
// agreed API shapes from memory, with an SSE stream. For manual checks only:
//   npm run build && node dev/mock-server.mjs [port]     (user farmer / password farmer)
// POST /__drop makes the stream drop (to see the offline banner); irrigating zone "z2" is
// refused, as the supervisor would when the pump has not rested.
// OCOP lots (users officer/officer and admin/admin may create them): two seeded lots, one
// growing with a pesticide sprayed 5 days ago under a 14-day pre-harvest interval (a harvest
// today is refused unless an officer overrides), one closed. POST /__tamper?lot=CODE edits a
// stored entry behind the chain's back, so the page shows a broken chain.
import { createServer } from 'node:http';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { join, normalize, extname } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';

const port = Number(process.argv[2] || 8090);
const dist = new URL('../dist', import.meta.url).pathname;
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.webmanifest': 'application/manifest+json' };

const now = () => Date.now();
const sessions = new Map(); // cookie -> {user, role, csrf}
const users = { farmer: 'farmer', viewer: 'viewer', officer: 'officer', admin: 'admin' };
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
  if (!p.startsWith('/api/') && !p.startsWith('/__')) {
    const file = normalize(join(dist, p === '/' ? 'index.html' : p));
    if (!file.startsWith(dist) || !existsSync(file) || statSync(file).isDirectory()) return err(res, 404, 'not_found', 'no such file');
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-cache' });
    return res.end(readFileSync(file));
  }
  if (p === '/__tamper') {
    const e = lots.get(url.searchParams.get('lot'))?.entries[0];
    if (e) e.note = `${e.note} (sửa lén)`;
    return send(res, e ? 204 : 404);
  }
  if (p === '/__drop') {
    for (const s of streams) s.destroy();
    return send(res, 204);
  }
  if (p === '/api/v1/session' && req.method === 'POST') {
    const b = await body(req);
    if (!b || users[b.user] !== b.password) return err(res, 401, 'unauthorized', 'wrong user or password');
    const id = randomBytes(16).toString('hex');
    const s = { user: b.user, role: b.user === 'farmer' ? 'farmer' : b.user, csrf: randomBytes(16).toString('hex') };
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
  if (p.startsWith('/api/v1/lots') || p.startsWith('/api/v1/export/')) return ocop(req, res, url, s);
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

// --- OCOP lots, in the shapes of docs/ocop.md ---------------------------------------------

const AREAS = { z1: 5000, z2: 3000 }; // configured zone areas (z3 has none)
const LOT_URL = 'https://htx-buoi.example.vn/lo/{lot}';
const lots = new Map(); // code -> {lot, entries}
const sha = (...parts) => createHash('sha256').update(parts.map((x) => JSON.stringify(x ?? null)).join('\u001f')).digest('hex');
const pad2 = (n) => String(n).padStart(2, '0');
const localDate = (d = new Date()) => `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
const validDate = (s) => typeof s === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);
function addDays(date, days) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
const lotHash = (l) => sha(l.code, l.product, l.variety, l.gtin, l.ocop_stars, l.zones, l.planted, l.expected_harvest, l.notes, l.created_by, l.created_at);
const entryHash = (e) => sha(e.prev_hash, e.lot, e.seq, e.kind, e.date, e.zone, e.material, e.active_ingredient, e.amount, e.unit, e.phi_days, e.note, e.run_id, e.duration_s, e.volume_l, e.quantity_kg, e.grade, e.final, e.override_by, e.override_reason, e.who, e.recorded_at);

function chainOf(rec) {
  if (lotHash(rec.lot) !== rec.lot.hash) return { ok: false, entries: rec.entries.length, broken_at: 0, reason: 'the lot record was changed after it was created' };
  let prev = rec.lot.hash;
  for (const e of rec.entries) {
    if (e.prev_hash !== prev || entryHash(e) !== e.hash)
      return { ok: false, entries: rec.entries.length, broken_at: e.seq, reason: `entry ${e.seq} (${e.kind}, ${e.date}) was changed after it was recorded` };
    prev = e.hash;
  }
  return { ok: true, entries: rec.entries.length, broken_at: null, reason: '' };
}
function harvestOf(rec) {
  const kg = rec.entries.filter((e) => e.kind === 'harvest').reduce((a, e) => a + e.quantity_kg, 0);
  return { harvest_kg: kg, yield_kg_ha: rec.lot.area_m2 > 0 && kg > 0 ? (kg / rec.lot.area_m2) * 10000 : null };
}
function newLot(b, who) {
  const zones = b.zones.map((z) => ({ zone: z.zone, area_m2: z.area_m2 ?? AREAS[z.zone] }));
  const lot = {
    code: b.code, product: b.product, variety: b.variety || '', gtin: b.gtin ? String(b.gtin).padStart(14, '0') : null,
    ocop_stars: b.ocop_stars || null, zones, area_m2: zones.reduce((a, z) => a + z.area_m2, 0), planted: b.planted,
    expected_harvest: b.expected_harvest || null, closed: null, notes: b.notes || '', created_by: who, created_at: now(), entries: 0,
  };
  lot.hash = lot.head = lotHash(lot);
  const rec = { lot, entries: [] };
  lots.set(lot.code, rec);
  return rec;
}
function append(rec, fields, who) {
  const e = {
    lot: rec.lot.code, seq: rec.entries.length + 1, kind: 'other', date: localDate(), zone: null, material: '', active_ingredient: '',
    amount: null, unit: '', phi_days: 0, phi_until: null, note: '', run_id: null, start: null, duration_s: 0, volume_l: null, reason: '',
    quantity_kg: 0, grade: '', final: false, override_by: null, override_reason: '', who, recorded_at: now(), prev_hash: rec.lot.head, ...fields,
  };
  if (e.kind === 'pesticide' && e.phi_days > 0) e.phi_until = addDays(e.date, e.phi_days);
  e.hash = entryHash(e);
  rec.entries.push(e);
  Object.assign(rec.lot, { head: e.hash, entries: rec.entries.length });
  if (e.kind === 'harvest' && e.final) rec.lot.closed = e.date;
  return e;
}
{
  const ago = (n) => addDays(localDate(), -n);
  const buoi = newLot({ code: 'BUOI-2026-01', product: 'Bưởi da xanh', variety: 'Bến Tre', gtin: '08938500000011', ocop_stars: 4, zones: [{ zone: 'z1' }], planted: ago(200), expected_harvest: addDays(localDate(), 20), notes: 'Vườn chuẩn VietGAP' }, 'officer');
  append(buoi, { kind: 'fertiliser', date: ago(60), material: 'NPK 20-20-15', amount: 2.5, unit: 'kg/gốc', note: 'Bón thúc' }, 'farmer');
  append(buoi, { kind: 'irrigation', date: ago(10), zone: 'z1', run_id: 7, start: now() - 10 * 86400000, duration_s: 600, volume_l: 820, reason: 'rule:dry-z1' }, 'farmgate');
  append(buoi, { kind: 'pesticide', date: ago(5), material: 'Regent 800WG', active_ingredient: 'fipronil', amount: 1.5, unit: 'g/bình 16 L', phi_days: 14 }, 'farmer');
  append(buoi, { kind: 'pruning', date: ago(3), note: 'Tỉa cành vượt' }, 'farmer');
  const cam = newLot({ code: 'CAM-2025-02', product: 'Cam sành', zones: [{ zone: 'z2', area_m2: 3000 }], planted: '2025-02-01' }, 'officer');
  append(cam, { kind: 'harvest', date: '2025-11-20', quantity_kg: 1850.5, grade: 'loại 1', final: true }, 'farmer');
}

const lotJson = (rec) => ({ ...rec.lot });
const MAY_WRITE = ['farmer', 'officer', 'admin'];
const OFFICER = ['officer', 'admin'];

async function ocop(req, res, url, s) {
  const p = url.pathname;
  let m;
  if (p === '/api/v1/lots' && req.method === 'GET')
    return send(res, 200, { lots: [...lots.values()].sort((a, b) => (a.lot.planted < b.lot.planted ? 1 : -1)).map((r) => ({ ...lotJson(r), ...harvestOf(r) })) });
  if (p === '/api/v1/lots' && req.method === 'POST') {
    if (!OFFICER.includes(s.role)) return err(res, 403, 'forbidden', 'only officers and admins create lots');
    const b = await body(req);
    if (!b) return err(res, 400, 'bad_input', 'the body is not JSON');
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$/.test(b.code || '')) return err(res, 400, 'bad_input', 'code: 1-20 letters, digits, ".", "_" or "-"');
    if (!b.product) return err(res, 400, 'bad_input', 'product is needed');
    if (!Array.isArray(b.zones) || !b.zones.length) return err(res, 400, 'bad_input', 'zones: at least one');
    for (const z of b.zones) {
      if (!zones.some((x) => x.id === z.zone)) return err(res, 400, 'bad_input', `zones: no zone "${z.zone}"`);
      if (!(z.area_m2 > 0) && !AREAS[z.zone]) return err(res, 400, 'bad_input', `zones: ${z.zone} has no area_m2 in the config; give one`);
    }
    if (!validDate(b.planted) || b.planted > localDate()) return err(res, 400, 'bad_input', 'planted: a date not after today');
    if (b.expected_harvest && (!validDate(b.expected_harvest) || b.expected_harvest < b.planted)) return err(res, 400, 'bad_input', 'expected_harvest: a date not before planted');
    if (b.gtin && !/^(\d{8}|\d{12,14})$/.test(b.gtin)) return err(res, 400, 'bad_input', 'gtin: 8, 12, 13 or 14 digits');
    if (b.ocop_stars && ![3, 4, 5].includes(b.ocop_stars)) return err(res, 400, 'bad_input', 'ocop_stars: 3, 4 or 5');
    if (lots.has(b.code)) return err(res, 409, 'exists', `lot ${b.code} exists`);
    return send(res, 201, lotJson(newLot(b, s.user)));
  }
  if ((m = /^\/api\/v1\/export\/(readings|irrigation|lots|diary|season)$/.exec(p))) {
    if (!OFFICER.includes(s.role)) return err(res, 403, 'forbidden', 'officers and admins only');
    const vi = url.searchParams.get('lang') !== 'en';
    const csv = '\ufeff' + (vi ? 'Mã lô,Sản phẩm,Ngày trồng\r\n' : 'Lot,Product,Planted\r\n') + [...lots.values()].map((r) => `${r.lot.code},${r.lot.product},${r.lot.planted}`).join('\r\n') + '\r\n';
    res.writeHead(200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="${m[1]}.csv"` });
    return res.end(csv);
  }
  if (!(m = /^\/api\/v1\/lots\/([^/]+)(?:\/(diary|harvests|record|qr\.svg|qr\.png|label))?$/.exec(p))) return err(res, 404, 'not_found', 'no such route');
  const rec = lots.get(decodeURIComponent(m[1]));
  if (!rec) return err(res, 404, 'not_found', 'no such lot');
  const what = m[2];
  const lotUrl = LOT_URL.replace('{lot}', rec.lot.code);
  if (!what && req.method === 'GET') return send(res, 200, { lot: lotJson(rec), entries: rec.entries, chain: chainOf(rec), url: lotUrl, ...harvestOf(rec) });
  if (what === 'record' || what === 'label') {
    const page = `<!doctype html><meta charset="utf-8"><title>${rec.lot.code}</title><h1>${what} ${rec.lot.product} — ${rec.lot.code}</h1><p>mock page</p>`;
    if (url.searchParams.get('format') === 'html' || what === 'label') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      return res.end(page);
    }
    return send(res, 200, { lot: lotJson(rec), chain: chainOf(rec), url: lotUrl, harvests: rec.entries.filter((e) => e.kind === 'harvest'), diary: rec.entries.filter((e) => e.kind !== 'harvest') });
  }
  if (what === 'qr.svg' || what === 'qr.png') {
    // Not a real QR code: a stand-in picture of the right kind.
    res.writeHead(200, { 'Content-Type': 'image/svg+xml' });
    return res.end('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 7 7"><rect width="7" height="7" fill="#fff"/><path d="M0 0h3v3H0zM4 0h3v3H4zM0 4h3v3H0zM4 4h1v1H4zM6 6h1v1H6z"/></svg>');
  }
  if (req.method !== 'POST') return err(res, 404, 'not_found', 'no such route');
  if (!MAY_WRITE.includes(s.role)) return err(res, 403, 'forbidden', 'viewers cannot write the diary');
  const b = await body(req);
  if (!b) return err(res, 400, 'bad_input', 'the body is not JSON');
  if (rec.lot.closed) return err(res, 409, 'closed', `lot ${rec.lot.code} was closed by its final harvest on ${rec.lot.closed}`);
  if (!validDate(b.date) || b.date > localDate() || b.date < rec.lot.planted) return err(res, 400, 'bad_input', 'date: a date between planting and today');
  if (b.zone && !rec.lot.zones.some((z) => z.zone === b.zone)) return err(res, 400, 'bad_input', `zone: ${b.zone} is not one of the lot's`);
  if (what === 'diary') {
    if (!['fertiliser', 'pesticide', 'pruning', 'other'].includes(b.kind)) return err(res, 400, 'bad_input', 'kind: fertiliser, pesticide, pruning or other (irrigation comes from the run log)');
    if (b.kind === 'pesticide' && !b.material && !b.active_ingredient) return err(res, 400, 'bad_input', 'a pesticide needs its product or active ingredient');
    const phi = b.phi_days ?? 0;
    if (!Number.isInteger(phi) || phi < 0 || phi > 365) return err(res, 400, 'bad_input', 'phi_days: 0 to 365');
    const fields = { kind: b.kind, date: b.date, zone: b.zone || null, material: b.material || '', active_ingredient: b.active_ingredient || '', amount: b.amount ?? null, unit: b.unit || '', phi_days: phi, note: b.note || '' };
    return send(res, 201, append(rec, fields, s.user));
  }
  // harvests
  if (!(b.quantity_kg > 0)) return err(res, 400, 'bad_input', 'quantity_kg: above 0');
  const blocking = rec.entries.find((e) => e.kind === 'pesticide' && e.phi_until && e.phi_until > b.date && (!e.zone || !b.zone || e.zone === b.zone));
  let override = null;
  if (!blocking && b.override_reason) return err(res, 400, 'bad_input', 'override_reason is only for a harvest inside a pre-harvest interval');
  if (blocking) {
    if (!b.override_reason)
      return err(res, 409, 'pre_harvest_interval', `harvest on ${b.date} is inside the pre-harvest interval of ${blocking.material || blocking.active_ingredient}, applied on ${blocking.date} with a pre-harvest interval of ${blocking.phi_days} days: harvest from ${blocking.phi_until}`);
    if (!OFFICER.includes(s.role)) return err(res, 403, 'forbidden', 'only an officer or admin may override a pre-harvest interval');
    override = s.user;
  }
  const fields = { kind: 'harvest', date: b.date, zone: b.zone || null, quantity_kg: b.quantity_kg, grade: b.grade || '', final: !!b.final, note: b.note || '', override_by: override, override_reason: override ? b.override_reason : '' };
  return send(res, 201, append(rec, fields, s.user));
}
