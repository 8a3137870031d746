// farmgate's phone page: log in, then alarms first, a card per zone with its moisture, valve and
// pump, a "water now" button and a chart. Live through the /api/v1/events stream; when the
// stream or the network drops, the last data stays on screen under an "offline" banner.
// A second tab (#/lots, lots.js) holds the OCOP lots, their diary and harvests.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import * as api from './api.js';
import { t, currentLang, setLang } from './i18n.js';
import { $, h, pad } from './dom.js';
import { showLots } from './lots.js';

const DRY = 30; // % soil moisture below which a zone shows as dry
const WET = 45; // and above which as wet
const MINUTES = [5, 10, 15, 20];
const CACHE_KEY = 'fg.last';

const state = {
  session: null, // {user, role, csrf}
  zones: [],
  alarms: [],
  updatedAt: 0, // ms of the last data from the server
  online: true,
  minutes: {}, // zone id -> picked duration
  notes: {}, // zone id -> {text: () => string in the current language, kind}
  charts: {}, // zone id -> {open, range, plot}
};

function hhmm(ms) {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
function when(ms) {
  if (!ms) return t('zone.none');
  const d = new Date(ms);
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  return sameDay ? hhmm(ms) : `${hhmm(ms)} ${pad(d.getDate())}/${pad(d.getMonth() + 1)}`;
}

// The page shown: the zones (no hash, the default) or the lots (#/lots, #/lots/<code>). A hash,
// so that Android's back button goes from a lot back to the list.
function route() {
  const m = /^#\/lots(?:\/([^/]+))?$/.exec(location.hash);
  if (!m) return { view: 'zones' };
  try {
    return { view: 'lots', lot: m[1] ? decodeURIComponent(m[1]) : null };
  } catch {
    return { view: 'lots', lot: null };
  }
}
const onZones = () => route().view === 'zones';

const canIrrigate = () => ['farmer', 'admin'].includes(state.session?.role);
const canAck = canIrrigate;

// --- last data, kept for the offline page ---------------------------------------------------

function saveCache() {
  try {
    localStorage.setItem(
      CACHE_KEY,
      JSON.stringify({ zones: state.zones, alarms: state.alarms, updatedAt: state.updatedAt, session: state.session }),
    );
  } catch {
    // storage full or disabled: the page still works, only without an offline copy
  }
}

function loadCache() {
  try {
    const c = JSON.parse(localStorage.getItem(CACHE_KEY) || 'null');
    if (!c) return false;
    Object.assign(state, { zones: c.zones || [], alarms: c.alarms || [], updatedAt: c.updatedAt || 0 });
    state.session = c.session ? { ...c.session, csrf: '' } : null;
    return true;
  } catch {
    return false;
  }
}

// --- rendering ------------------------------------------------------------------------------

function renderHeader() {
  const bar = $('#topbar');
  const parts = [
    h('h1', {}, t('app.title')),
    h('button', { class: 'link', 'data-testid': 'lang-switch', onclick: () => { setLang(currentLang() === 'vi' ? 'en' : 'vi'); renderAll(); } }, t('lang.switch')),
    state.session && state.online
      ? h('button', { class: 'link', 'data-testid': 'logout', onclick: onLogout }, t('logout'))
      : null,
  ];
  bar.replaceChildren(...parts.filter(Boolean));
  document.title = t('app.title');
}

function renderTabs() {
  const nav = $('#tabs');
  if (!state.session) {
    nav.hidden = true;
    return;
  }
  nav.hidden = false;
  const view = route().view;
  const tab = (name, href, label) =>
    h('a', { class: view === name ? 'tab on' : 'tab', href, 'data-testid': `tab-${name}`, 'aria-current': view === name ? 'page' : null }, label);
  nav.replaceChildren(tab('zones', '#', t('tab.zones')), tab('lots', '#/lots', t('tab.lots')));
}

function renderBanner() {
  const b = $('#banner');
  if (state.online) {
    b.hidden = true;
    return;
  }
  b.hidden = false;
  b.textContent = state.updatedAt ? t('offline.banner', { time: hhmm(state.updatedAt) }) : t('offline.never');
}

function renderLogin(message) {
  const main = $('#main');
  const form = h(
    'form',
    { class: 'login', 'data-testid': 'login-form' },
    h('h2', {}, t('login.title')),
    h('label', {}, t('login.user'), h('input', { name: 'user', autocomplete: 'username', required: true, 'data-testid': 'login-user' })),
    h('label', {}, t('login.password'), h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'login-password' })),
    message ? h('p', { class: 'note bad', role: 'alert', 'data-testid': 'login-error' }, message) : null,
    h('button', { class: 'big primary', type: 'submit', 'data-testid': 'login-submit' }, t('login.submit')),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    try {
      state.session = await api.login(fd.get('user'), fd.get('password'));
      await startDashboard();
    } catch (e) {
      renderLogin(e.status === 0 ? t('error.network') : t('login.failed'));
    }
  });
  main.replaceChildren(form);
}

function renderAlarms() {
  const active = state.alarms.filter((a) => !a.acked_at);
  const list = state.alarms;
  if (list.length === 0) return null;
  return h(
    'section',
    { class: 'alarms', 'data-testid': 'alarms' },
    h('h2', {}, `${t('alarms.title')} (${active.length})`),
    list.map((a) =>
      h(
        'div',
        { class: `alarm sev-${a.severity || 'warning'}${a.acked_at ? ' acked' : ''}`, 'data-testid': `alarm-${a.id}` },
        h('div', { class: 'alarm-msg' }, a.message || a.code),
        h('div', { class: 'small' }, `${when(a.ts)} · ${a.source || ''}`),
        a.acked_at
          ? h('div', { class: 'small' }, t('alarms.acked', { who: a.acked_by || '' }))
          : canAck()
            ? h('button', { class: 'big', 'data-testid': `alarm-ack-${a.id}`, disabled: !state.online, onclick: () => onAck(a.id) }, t('alarms.ack'))
            : null,
      ),
    ),
  );
}

function moistureClass(v) {
  if (v === null || v === undefined) return 'none';
  return v < DRY ? 'dry' : v > WET ? 'wet' : 'ok';
}

const ARROWS = { up: '↑', down: '↓', flat: '→' };

// The newest camera picture of the zone, with the green cover measured on it. The canopy_cover
// reading is stamped with the picture's time, so its time names the picture (and lets the
// browser cache it); a picture that fails to load hides itself.
function renderSnapshot(z) {
  let canopy = null;
  for (const metrics of Object.values(z.readings || {})) {
    if (metrics.canopy_cover && (!canopy || metrics.canopy_cover.ts > canopy.ts)) canopy = metrics.canopy_cover;
  }
  const src = `/api/v1/zones/${encodeURIComponent(z.id)}/snapshot.jpg?t=${canopy ? canopy.ts : 0}`;
  return h(
    'figure',
    { class: 'snapshot', 'data-testid': `zone-snapshot-${z.id}` },
    h('img', { src, alt: t('zone.snapshot'), loading: 'lazy', width: 320, height: 180, onerror: (ev) => ev.target.closest('figure')?.remove() }),
    h('figcaption', {}, canopy ? `${t('zone.canopy', { pct: Math.round(canopy.value) })} · ${when(canopy.ts)}` : t('zone.snapshot')),
  );
}

function renderZoneLive(z) {
  const m = z.moisture;
  const cls = moistureClass(m?.value);
  const pct = m ? Math.max(0, Math.min(100, m.value)) : 0;
  const running = z.run;
  const note = state.notes[z.id];
  const picked = state.minutes[z.id] || 10;
  const leftMin = running ? Math.max(0, Math.ceil((running.start + running.granted_ms - Date.now()) / 60000)) : 0;
  const lastRun = z.last_run;

  return h(
    'div',
    { class: 'live' },
    h(
      'div',
      { class: `gauge ${cls}`, 'data-testid': `zone-gauge-${z.id}`, 'data-level': cls },
      h('div', { class: 'gauge-label' }, t('zone.moisture')),
      m
        ? h(
            'div',
            { class: 'gauge-value' },
            `${Math.round(m.value)}${m.unit === '%' || !m.unit ? '%' : ' ' + m.unit}`,
            z.trend ? h('span', { class: 'trend', title: t(`zone.trend.${z.trend}`), 'aria-label': t(`zone.trend.${z.trend}`), 'data-testid': `zone-trend-${z.id}` }, ` ${ARROWS[z.trend] || ''}`) : null,
            h('span', { class: 'gauge-word' }, ` ${t(`zone.${cls}`)}`),
          )
        : h('div', { class: 'gauge-value' }, t('zone.nodata')),
      h('div', { class: 'bar', role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': m ? Math.round(m.value) : 0 },
        h('div', { class: 'fill', style: `width:${pct}%` }),
        h('div', { class: 'mark', style: `left:${DRY}%` }),
        h('div', { class: 'mark', style: `left:${WET}%` }),
      ),
    ),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, t('zone.last')),
      h('dd', { 'data-testid': `zone-last-${z.id}` }, lastRun ? `${when(lastRun.start)}${lastRun.end ? ` (${Math.round((lastRun.end - lastRun.start) / 60000)}′)` : ''}` : t('zone.none')),
      h('dt', {}, t('zone.next')),
      h('dd', { 'data-testid': `zone-next-${z.id}` }, z.next_run ? when(z.next_run.start ?? z.next_run) : t('zone.none')),
      h('dt', {}, t('zone.valve')),
      h('dd', { class: `st-${z.valve}`, 'data-testid': `zone-valve-${z.id}` }, t(`valve.${z.valve || 'unknown'}`)),
      h('dt', {}, t('zone.pump')),
      h('dd', { class: `st-${z.pump}`, 'data-testid': `zone-pump-${z.id}` }, t(`pump.${z.pump || 'unknown'}`)),
    ),
    running ? h('p', { class: 'running', 'data-testid': `zone-running-${z.id}` }, t('zone.running', { min: leftMin })) : null,
    z.camera ? renderSnapshot(z) : null,
    note ? h('p', { class: `note ${note.kind}`, role: 'status', 'data-testid': `zone-note-${z.id}` }, note.text()) : null,
    canIrrigate()
      ? running
        ? h('button', { class: 'big stop', 'data-testid': `zone-stop-${z.id}`, disabled: !state.online, onclick: () => onStop(z) }, t('zone.stop'))
        : h(
            'div',
            { class: 'water' },
            h('div', { class: 'picker', role: 'radiogroup' },
              MINUTES.map((n) =>
                h('button', {
                  class: n === picked ? 'pick on' : 'pick',
                  role: 'radio',
                  'aria-checked': n === picked ? 'true' : 'false',
                  'data-testid': `zone-minutes-${z.id}-${n}`,
                  onclick: () => { state.minutes[z.id] = n; updateZone(z.id); },
                }, t('zone.minutes', { min: n })),
              ),
            ),
            h('button', { class: 'big primary', 'data-testid': `zone-water-${z.id}`, disabled: !state.online, onclick: () => onWater(z) }, t('zone.water')),
          )
      : null,
  );
}

function renderChartBox(z) {
  const c = (state.charts[z.id] ||= { open: false, range: '24h', plot: null });
  const box = h('div', { class: 'plot', 'data-testid': `zone-chart-${z.id}` });
  const tabs = h(
    'div',
    { class: 'tabs' },
    ['24h', '7d'].map((r) =>
      h('button', {
        class: r === c.range ? 'pick on' : 'pick',
        'data-testid': `zone-chart-${r}-${z.id}`,
        onclick: () => { c.range = r; loadChart(z.id, box, tabs); },
      }, t(`chart.${r}`)),
    ),
  );
  const det = h('details', { class: 'chart' }, h('summary', { 'data-testid': `zone-chart-toggle-${z.id}` }, t('zone.chart')), tabs, box);
  det.open = c.open;
  det.addEventListener('toggle', () => {
    c.open = det.open;
    if (det.open) loadChart(z.id, box, tabs);
  });
  if (c.open) queueMicrotask(() => loadChart(z.id, box, tabs));
  return det;
}

async function loadChart(zoneId, box, tabs) {
  const c = state.charts[zoneId];
  for (const b of tabs.children) b.className = b.dataset.testid.includes(`-${c.range}-`) ? 'pick on' : 'pick';
  const to = Date.now();
  const from = to - (c.range === '7d' ? 7 * 24 : 24) * 3600 * 1000;
  box.textContent = t('chart.loading');
  try {
    const [series, runs] = await Promise.all([api.getSeries(zoneId, from, to), api.getRuns(zoneId, from, to)]);
    // Loaded on demand: the first paint does not wait for the chart library.
    const { drawChart } = await import('./chart.js');
    c.plot?.destroy?.();
    c.plot = drawChart(box, series, runs.runs, { dry: DRY, wet: WET });
  } catch {
    box.textContent = t('chart.failed');
  }
}

function renderZoneCard(z) {
  return h(
    'article',
    { class: 'zone', id: `zone-${z.id}`, 'data-testid': `zone-card-${z.id}`, 'data-zone': z.id },
    h('h2', {}, z.name || z.id),
    renderZoneLive(z),
    renderChartBox(z),
  );
}

// Replaces only the card's live part, so an open chart and the picked duration stay.
function updateZone(id) {
  if (!onZones()) return;
  const z = state.zones.find((x) => x.id === id);
  const card = document.getElementById(`zone-${id}`);
  if (!z || !card) return renderDashboard();
  card.querySelector('.live').replaceWith(renderZoneLive(z));
}

function renderDashboard() {
  if (!onZones()) return; // live updates must not replace the lots pages
  const main = $('#main');
  const zones = state.zones.length
    ? state.zones.map(renderZoneCard)
    : [h('p', { class: 'note' }, t('zones.empty'))];
  main.replaceChildren(renderAlarms() || '', h('section', { class: 'zones', 'data-testid': 'zones' }, zones));
}

function renderAll() {
  renderHeader();
  renderBanner();
  // The lots need a session; without one (signed out, or offline from the cached page) the
  // page falls back to the zones, as it always did.
  if (!state.session && !onZones()) history.replaceState(null, '', location.pathname + location.search);
  renderTabs();
  const r = route();
  if (r.view === 'lots') {
    showLots($('#main'), r.lot, {
      session: state.session,
      zones: state.zones,
      authLost: () => {
        state.session = null;
        renderAll();
      },
    });
  } else if (state.session || state.zones.length) renderDashboard();
  else renderLogin();
}

// --- actions --------------------------------------------------------------------------------

// `text` is a function, so that a note written before a language switch is shown in the new one.
function note(zoneId, text, kind) {
  state.notes[zoneId] = { text, kind };
  updateZone(zoneId);
}

// A note's text for a failed request, as a function of the current language.
function errorText(e, key) {
  if (e.status === 0) return () => t('error.network');
  if (e.status === 403) return () => t('error.forbidden');
  if (e.status === 401) {
    state.session = null;
    renderAll();
    return () => '';
  }
  return () => t(key, { reason: e.body.reason || e.message });
}

function confirmDialog(zone, minutes) {
  return new Promise((resolve) => {
    const dlg = h(
      'dialog',
      { class: 'confirm', 'data-testid': 'confirm-dialog' },
      h('h2', {}, t('confirm.title', { zone: zone.name || zone.id })),
      h('p', {}, t('confirm.body', { min: minutes })),
      h(
        'div',
        { class: 'row' },
        h('button', { class: 'big', 'data-testid': 'confirm-no', onclick: () => dlg.close('no') }, t('confirm.no')),
        h('button', { class: 'big primary', 'data-testid': 'confirm-yes', onclick: () => dlg.close('yes') }, t('confirm.yes')),
      ),
    );
    dlg.addEventListener('close', () => {
      dlg.remove();
      resolve(dlg.returnValue === 'yes');
    });
    document.body.append(dlg);
    dlg.showModal();
  });
}

async function onWater(z) {
  const minutes = state.minutes[z.id] || 10;
  if (!(await confirmDialog(z, minutes))) return;
  try {
    const r = await api.irrigate(z.id, minutes);
    const zone = state.zones.find((x) => x.id === z.id);
    if (zone && !zone.run) zone.run = { id: r.run_id, start: Date.now(), granted_ms: r.granted_ms, reason: 'manual', who: state.session?.user };
    note(z.id, () => t('started', { min: Math.round(r.granted_ms / 60000) }), 'good');
  } catch (e) {
    note(z.id, errorText(e, 'refused'), 'bad');
  }
}

async function onStop(z) {
  try {
    await api.stopZone(z.id);
    const zone = state.zones.find((x) => x.id === z.id);
    if (zone) zone.run = null;
    note(z.id, () => t('stopped'), 'good');
  } catch (e) {
    note(z.id, errorText(e, 'stop.refused'), 'bad');
  }
}

async function onAck(id) {
  try {
    const r = await api.ackAlarm(id);
    const a = state.alarms.find((x) => x.id === id);
    if (a) Object.assign(a, { acked_by: r.acked_by, acked_at: r.acked_at });
    saveCache();
    renderDashboard();
  } catch (e) {
    errorText(e, 'refused');
  }
}

async function onLogout() {
  stream?.close();
  try {
    await api.logout();
  } catch {
    // the cookie goes when it expires; the page forgets the session now
  }
  state.session = null;
  state.zones = [];
  state.alarms = [];
  // The next user on this phone must not see this one's "watering started/stopped" notes.
  state.notes = {};
  state.minutes = {};
  localStorage.removeItem(CACHE_KEY);
  renderAll(); // the next user starts on the zones page
}

// --- data and the live stream -----------------------------------------------------------

function setOnline(on) {
  if (state.online === on) return;
  state.online = on;
  renderHeader();
  renderBanner();
  if (state.session) renderDashboard();
}

async function refresh() {
  const [zones, alarms] = await Promise.all([api.getZones(), api.getAlarms()]);
  state.zones = zones.zones || [];
  state.alarms = alarms.alarms || [];
  state.updatedAt = Date.now();
  saveCache();
}

let stream = null;
let retry = 1000;

function openStream() {
  stream?.close();
  if (typeof EventSource === 'undefined') return;
  const es = new EventSource('/api/v1/events');
  stream = es;
  es.addEventListener('open', async () => {
    retry = 1000;
    try {
      await refresh(); // whatever happened while the stream was down
      setOnline(true);
      renderDashboard();
    } catch {
      // the next event or reconnect tries again
    }
  });
  es.addEventListener('zone', (ev) => {
    const z = JSON.parse(ev.data);
    const i = state.zones.findIndex((x) => x.id === z.id);
    state.updatedAt = Date.now();
    if (i < 0) {
      state.zones.push(z);
      renderDashboard();
    } else {
      state.zones[i] = z;
      updateZone(z.id);
    }
    saveCache();
  });
  es.addEventListener('alarm', (ev) => {
    const a = JSON.parse(ev.data);
    const i = state.alarms.findIndex((x) => x.id === a.id);
    if (i < 0) state.alarms.unshift(a);
    else state.alarms[i] = a;
    state.updatedAt = Date.now();
    saveCache();
    renderDashboard();
  });
  es.addEventListener('run', async () => {
    // A run started or ended: the zone events carry the state; refetch for last_run too.
    try {
      await refresh();
      renderDashboard();
    } catch {
      // offline; the banner is the stream's business
    }
  });
  es.addEventListener('error', () => {
    setOnline(false);
    // EventSource retries by itself while CONNECTING; when it gave up (CLOSED, e.g. the
    // gateway answered 401 or 502), retry ourselves, backing off to a minute.
    if (es.readyState === EventSource.CLOSED) {
      setTimeout(async () => {
        if (stream !== es) return;
        try {
          state.session = await api.getSession();
        } catch (e) {
          if (e.status === 401) {
            state.session = null;
            renderAll();
            return;
          }
        }
        openStream();
      }, retry);
      retry = Math.min(retry * 2, 60000);
    }
  });
}

async function startDashboard() {
  try {
    await refresh();
    setOnline(true);
  } catch (e) {
    if (e.status === 401) {
      state.session = null;
      return renderAll();
    }
    setOnline(false);
  }
  renderAll();
  openStream();
}

// Remaining minutes of running zones tick down without a server round trip.
setInterval(() => {
  for (const z of state.zones) if (z.run) updateZone(z.id);
}, 30000);

async function boot() {
  setLang(currentLang());
  try {
    state.session = await api.getSession();
    await startDashboard();
  } catch (e) {
    if (e.status === 0 && loadCache()) {
      // Offline: show what we had, under the banner, and keep trying.
      state.online = false;
      renderAll();
      openStream();
    } else {
      state.session = null;
      renderAll();
    }
  }
}

if ('serviceWorker' in navigator) {
  window.addEventListener('load', () => navigator.serviceWorker.register('/sw.js').catch(() => {}));
}
window.addEventListener('offline', () => setOnline(false));
window.addEventListener('hashchange', () => {
  renderAll();
  window.scrollTo(0, 0);
});

boot();
