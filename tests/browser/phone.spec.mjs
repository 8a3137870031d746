// The farmer's phone page end to end, in Debian's chromium driven by playwright-core: against a
// real farmgate, broker and farm simulator that tests/browser/run.sh started. Plain node (no test
// runner): each step asserts with node:assert and leaves a 360×800 screenshot in FG_OUT; the
// first failure ends the run with exit code 1 and a failure screenshot.
// Environment (set by run.sh): FG_BASE, FG_FARMER, FG_FARMER_PW, FG_VIEWER, FG_VIEWER_PW,
// FG_CHROMIUM, FG_OUT.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';

// playwright-core lives in web/node_modules (web/package.json's devDependencies), not beside us.
const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run tests/browser/run.sh)`);
  return v;
};
const base = env('FG_BASE');
const out = env('FG_OUT');

// Waits until probe() returns something truthy, polling; fails with what it last saw.
async function until(what, probe, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (e) {
      last = e.message;
    }
    if (Date.now() > deadline) assert.fail(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

let shot = 0;
async function screenshot(page, name) {
  shot += 1;
  const file = path.join(out, `${String(shot).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file }); // the phone's screen, 360×800
}

const byId = (page, id) => page.getByTestId(id);
const text = async (page, id) => (await byId(page, id).textContent())?.trim() ?? '';
const hasClass = async (page, id, cls) => ((await byId(page, id).getAttribute('class')) || '').split(/\s+/).includes(cls);

// The API from inside the page, with the page's session cookie (and its CSRF token on POST).
async function api(page, method, url, body) {
  return page.evaluate(
    async ({ method, url, body }) => {
      const headers = { 'Content-Type': 'application/json' };
      if (method !== 'GET') {
        const s = await fetch('/api/v1/session').then((r) => r.json());
        headers['X-CSRF-Token'] = s.csrf;
      }
      const r = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const txt = await r.text();
      let json = null;
      try {
        json = JSON.parse(txt);
      } catch {
        // 204 and the like
      }
      return { status: r.status, json };
    },
    { method, url, body },
  );
}

async function login(page, user, password) {
  await byId(page, 'login-form').waitFor({ state: 'visible' });
  await byId(page, 'login-user').fill(user);
  await byId(page, 'login-password').fill(password);
  await byId(page, 'login-submit').tap();
  await byId(page, 'zones').waitFor({ state: 'visible', timeout: 10000 });
}

async function bothZonesShowMoisture(page) {
  for (const z of ['z1', 'z2']) {
    await until(`zone ${z} shows a moisture value`, async () => {
      const v = await page.getByTestId(`zone-gauge-${z}`).locator('.gauge-value').textContent();
      return /\d+\s*%/.test(v || '') && v;
    }, 20000);
  }
}

async function main() {
  const browser = await chromium.launch({ executablePath: env('FG_CHROMIUM'), args: ['--no-sandbox'] });
  const context = await browser.newContext({
    viewport: { width: 360, height: 800 },
    isMobile: true,
    hasTouch: true,
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  try {
    // --- the farmer ----------------------------------------------------------------------
    await page.goto(base);
    await byId(page, 'login-form').waitFor({ state: 'visible' });
    assert.equal(await text(page, 'login-submit'), 'Đăng nhập', 'the page opens in Vietnamese');
    await screenshot(page, 'login');

    await login(page, env('FG_FARMER'), env('FG_FARMER_PW'));
    await bothZonesShowMoisture(page);
    assert.equal(await text(page, 'zone-valve-z1'), 'Đóng', 'z1 valve starts closed');
    assert.equal(await text(page, 'zone-pump-z1'), 'Tắt', 'the pump starts off');
    // The simulator's camera looks at z1: its newest picture, loaded, with the green cover.
    await until('z1 shows its camera picture', async () =>
      page.evaluate(() => {
        const img = document.querySelector('[data-testid="zone-snapshot-z1"] img');
        return !!img && img.complete && img.naturalWidth > 0;
      }));
    assert.match(await text(page, 'zone-snapshot-z1'), /Độ phủ lá xanh \d+%/);
    assert.equal(await byId(page, 'zone-snapshot-z2').count(), 0, 'no camera over z2');
    await screenshot(page, 'farmer-dashboard');

    // Water z1 for 5 minutes.
    await byId(page, 'zone-minutes-z1-5').tap();
    assert.equal(await byId(page, 'zone-minutes-z1-5').getAttribute('aria-checked'), 'true');
    const water = byId(page, 'zone-water-z1');
    assert.equal((await water.textContent()).trim(), 'Tưới ngay');
    await water.tap();
    await byId(page, 'confirm-dialog').waitFor({ state: 'visible' });
    assert.match(await text(page, 'confirm-dialog'), /5 phút/);
    await screenshot(page, 'confirm');
    await byId(page, 'confirm-yes').tap();

    await until('z1 shows the run started', async () => /5 phút/.test(await text(page, 'zone-note-z1')));
    // The valve opens first; the pump follows after the line's pump_start_delay (3 s).
    await until('z1 valve on', () => hasClass(page, 'zone-valve-z1', 'st-on'));
    assert.equal(await text(page, 'zone-valve-z1'), 'Mở');
    await until('pump on', () => hasClass(page, 'zone-pump-z1', 'st-on'));
    assert.equal(await text(page, 'zone-pump-z1'), 'Đang chạy');
    await byId(page, 'zone-running-z1').waitFor({ state: 'visible' });
    assert.match(await text(page, 'zone-running-z1'), /Đang tưới — còn [45] phút/);
    assert.equal(await byId(page, 'zone-water-z1').count(), 0, 'no water button while running');
    const zones = await api(page, 'GET', '/api/v1/zones');
    const z1 = zones.json.zones.find((z) => z.id === 'z1');
    assert.ok(z1.run, 'the API shows z1 running');
    assert.equal(z1.run.reason, 'manual');
    assert.equal(z1.run.who, env('FG_FARMER'));
    assert.equal(z1.run.granted_ms, 5 * 60000);
    await screenshot(page, 'watering');

    // Stop it: pump off, then the valve closes.
    await byId(page, 'zone-stop-z1').tap();
    await until('pump off', () => hasClass(page, 'zone-pump-z1', 'st-off'));
    await until('z1 valve off', () => hasClass(page, 'zone-valve-z1', 'st-off'));
    assert.equal(await byId(page, 'zone-running-z1').count(), 0, 'no longer running');
    await byId(page, 'zone-water-z1').waitFor({ state: 'visible' });
    const runs = await until('the stopped run in /api/v1/runs', async () => {
      const r = await api(page, 'GET', '/api/v1/runs?zone=z1');
      return r.json.runs.length > 0 && r.json.runs[0].end ? r.json.runs : null;
    });
    assert.equal(runs.length, 1);
    assert.equal(runs[0].who, env('FG_FARMER'));
    await until('the card shows the last run', async () => (await text(page, 'zone-last-z1')) !== '—');
    await screenshot(page, 'stopped');

    // English.
    await byId(page, 'lang-switch').tap();
    await until('English labels', async () => (await text(page, 'zone-water-z1')) === 'Water now');
    assert.equal(await text(page, 'zone-pump-z1'), 'Off');
    assert.equal(await text(page, 'lang-switch'), 'Tiếng Việt');
    assert.equal(await text(page, 'zone-note-z1'), 'Watering stopped', 'the note follows the language');
    await screenshot(page, 'english');

    await byId(page, 'logout').tap();
    await byId(page, 'login-form').waitFor({ state: 'visible' });
    assert.equal((await api(page, 'GET', '/api/v1/session')).status, 401, 'logged out on the server too');

    // --- the viewer ----------------------------------------------------------------------
    await login(page, env('FG_VIEWER'), env('FG_VIEWER_PW'));
    await bothZonesShowMoisture(page);
    assert.equal(await byId(page, 'zone-water-z1').count(), 0, 'a viewer gets no water button');
    assert.equal(await byId(page, 'zone-stop-z1').count(), 0, 'nor a stop button');
    assert.equal(await byId(page, 'zone-note-z1').count(), 0, "no note left over from the farmer's session");
    const refused = await api(page, 'POST', '/api/v1/zones/z1/irrigate', { minutes: 5 });
    assert.equal(refused.status, 403, `a viewer's irrigate is refused: ${JSON.stringify(refused)}`);
    await screenshot(page, 'viewer');
    const after = await api(page, 'GET', '/api/v1/zones');
    assert.equal(after.json.zones.find((z) => z.id === 'z1').run, null, 'and nothing runs');

    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
    console.log(`phone.spec: passed, ${shot} screenshots in ${out}`);
  } catch (e) {
    await page.screenshot({ path: path.join(out, 'failure.png'), fullPage: true }).catch(() => {});
    throw e;
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(`phone.spec: FAILED: ${e.stack || e}`);
  process.exit(1);
});
