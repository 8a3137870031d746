// The REST API (/api/v1) as the page uses it. The session cookie is HttpOnly; the CSRF token from
// the session response goes back as X-CSRF-Token on every state-changing request.

let csrf = '';

export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.reason || body.error)) || `HTTP ${status}`);
    this.status = status; // 0: no answer (offline)
    this.body = body || {};
  }
}

async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, null);
  }
  if (res.status === 204) return {};
  let json = null;
  try {
    json = await res.json();
  } catch {
    json = null;
  }
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

export async function getSession() {
  const s = await call('GET', '/api/v1/session');
  csrf = s.csrf || '';
  return s;
}

export async function login(user, password) {
  const s = await call('POST', '/api/v1/session', { user, password });
  csrf = s.csrf || '';
  return s;
}

export async function logout() {
  try {
    await call('DELETE', '/api/v1/session');
  } finally {
    csrf = '';
  }
}

export const getZones = () => call('GET', '/api/v1/zones');
export const getAlarms = () => call('GET', '/api/v1/alarms?active=1');
export const ackAlarm = (id) => call('POST', `/api/v1/alarms/${encodeURIComponent(id)}/ack`, {});
export const irrigate = (zone, minutes) =>
  call('POST', `/api/v1/zones/${encodeURIComponent(zone)}/irrigate`, { minutes });
export const stopZone = (zone) => call('POST', `/api/v1/zones/${encodeURIComponent(zone)}/stop`, {});

export function getSeries(zone, from, to, points = 300) {
  const q = new URLSearchParams({ metric: 'soil.moisture', from, to, points });
  return call('GET', `/api/v1/zones/${encodeURIComponent(zone)}/series?${q}`);
}

export function getRuns(zone, from, to) {
  const q = new URLSearchParams({ zone, from, to, limit: 200 });
  return call('GET', `/api/v1/runs?${q}`);
}

// OCOP lots (docs/ocop.md): the list, one lot with its diary, and what a person records.
const lotPath = (code) => `/api/v1/lots/${encodeURIComponent(code)}`;
export const getLots = () => call('GET', '/api/v1/lots');
export const getLot = (code) => call('GET', lotPath(code));
export const createLot = (lot) => call('POST', '/api/v1/lots', lot);
export const addDiary = (code, entry) => call('POST', `${lotPath(code)}/diary`, entry);
export const addHarvest = (code, harvest) => call('POST', `${lotPath(code)}/harvests`, harvest);
// Pages and images the browser opens itself (links, <img>), not fetched here.
export const lotLink = (code, what, params) => `${lotPath(code)}/${what}${params ? `?${new URLSearchParams(params)}` : ''}`;
export const exportLink = (kind, lang) => `/api/v1/export/${kind}?${new URLSearchParams({ format: 'csv', lang })}`;
