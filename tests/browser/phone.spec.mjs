// The farmer's phone page end to end, in Debian's chromium driven by playwright-core: against a
// real farmgate, broker and farm simulator that tests/browser/run.sh started. Plain node (no test
// runner): each step asserts with node:assert and leaves a 360×800 screenshot in FG_OUT; the
// first failure ends the run with exit code 1 and a failure screenshot.
// Environment (set by run.sh): FG_BASE, FG_FARMER, FG_FARMER_PW, FG_VIEWER, FG_VIEWER_PW,
// FG_OFFICER, FG_OFFICER_PW, FG_CHROMIUM, FG_OUT; FG_ONLY=farmer|ocop runs one part.
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

// One phone (a fresh 360×800 browser context: no cookies, no localStorage) for one part of the
// test; fails on an uncaught error in the page and leaves a failure screenshot.
async function onPhone(browser, name, steps) {
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
    await steps(page);
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  } catch (e) {
    await page.screenshot({ path: path.join(out, `failure-${name}.png`), fullPage: true }).catch(() => {});
    throw e;
  } finally {
    await context.close();
  }
}

// Set by the farmer part once its run on z1 has ended: the OCOP part then expects it in its
// lot's diary.
let wateredZ1 = false;

async function farmerAndViewer(page) {
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
  wateredZ1 = true;
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
}

// --- the officer: an OCOP lot's season on the phone -----------------------------------------
// Creates a lot on z1 (planted today), sprays a pesticide with a 14-day pre-harvest interval,
// is refused a harvest today with the reason, overrides it as the officer, and finds the
// harvest in the diary with the override and the chain verified. When the farmer part ran, its
// watering of z1 today shows in the diary as an automatic irrigation entry.

// The phone's calendar date (the context's time zone is the farm's), and that plus `days`, as
// the page writes it (DD/MM/YYYY).
async function phoneDate(page, days = 0) {
  return page.evaluate((days) => {
    const d = new Date();
    d.setDate(d.getDate() + days);
    const p = (n) => String(n).padStart(2, '0');
    return { iso: `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`, dmy: `${p(d.getDate())}/${p(d.getMonth() + 1)}/${d.getFullYear()}` };
  }, days);
}

async function ocopLot(page) {
  const code = `E2E-${Date.now().toString(36).toUpperCase()}`;
  await page.goto(base);
  await login(page, env('FG_OFFICER'), env('FG_OFFICER_PW'));
  await byId(page, 'tab-lots').tap();
  await byId(page, 'lots').waitFor({ state: 'visible' });
  const exportHref = await byId(page, 'export-diary').getAttribute('href');
  assert.match(exportHref, /^\/api\/v1\/export\/diary\?format=csv&lang=vi$/, 'an officer gets the exports');
  assert.equal((await api(page, 'GET', exportHref)).status, 200, 'and they download');

  // A lot code the gateway refuses: its reason shows at the form, which keeps what was typed.
  await byId(page, 'lot-new-toggle').tap();
  await byId(page, 'lot-code').fill('LÔ 1');
  await byId(page, 'lot-product').fill('Bưởi da xanh');
  await byId(page, 'lot-variety').fill('Năm Roi');
  await byId(page, 'lot-stars').selectOption('4');
  await byId(page, 'lot-zone-z1').check();
  await byId(page, 'lot-area-z1').fill('5000');
  await byId(page, 'lot-submit').tap();
  await byId(page, 'lot-form-error').waitFor({ state: 'visible' });
  assert.match(await text(page, 'lot-form-error'), /code/, "the gateway's reason names the field");
  assert.equal(await byId(page, 'lot-product').inputValue(), 'Bưởi da xanh', 'the form keeps what was typed');
  await screenshot(page, 'lot-form-error');
  await byId(page, 'lot-code').fill(code);
  await byId(page, 'lot-submit').tap();

  await page.locator(`[data-testid="lot-page"][data-lot="${code}"]`).waitFor({ state: 'visible' });
  assert.equal(await text(page, 'lot-flash'), 'Đã tạo lô');
  const today = await phoneDate(page);
  const lot = (await api(page, 'GET', `/api/v1/lots/${code}`)).json;
  assert.equal(lot.lot.planted, today.iso, 'planted defaults to today');
  assert.equal(lot.lot.ocop_stars, 4);
  assert.deepEqual(lot.lot.zones, [{ zone: 'z1', area_m2: 5000 }]);
  assert.match(await byId(page, 'lot-record-link').getAttribute('href'), new RegExp(`^/api/v1/lots/${code}/record\\?format=html&lang=vi$`));
  // demo.yaml configures no public URL: no QR picture nor label (the gateway would answer 409
  // no_url).
  assert.equal(await byId(page, 'lot-qr').count(), lot.url ? 1 : 0, 'the QR code shows exactly when the lot has a URL');
  assert.equal(await byId(page, 'lot-label-link').count(), lot.url ? 1 : 0, 'so does the label');

  // A pesticide today, 14 days before harvest is allowed.
  await byId(page, 'diary-toggle').tap();
  assert.equal(await byId(page, 'diary-date').inputValue(), today.iso, 'the date defaults to today');
  assert.equal(await byId(page, 'diary-phi').isVisible(), false, 'no PHI field for fertiliser');
  await byId(page, 'diary-kind').selectOption('pesticide');
  await byId(page, 'diary-material').fill('Regent 800WG');
  await byId(page, 'diary-ai').fill('fipronil');
  await byId(page, 'diary-amount').fill('1.5');
  await byId(page, 'diary-unit').fill('g/bình 16 L');
  await byId(page, 'diary-phi').fill('14');
  await screenshot(page, 'diary-form');
  await byId(page, 'diary-submit').tap();
  await until('the pesticide is in the diary', async () => (await text(page, 'lot-flash')) === 'Đã ghi nhật ký');
  const sprayed = page.locator('[data-testid="diary-list"] [data-kind="pesticide"]');
  assert.equal(await sprayed.count(), 1);
  const phiUntil = (await phoneDate(page, 14)).dmy;
  assert.match(await sprayed.textContent(), new RegExp(`Phun thuốc BVTV.*fipronil.*1,5 g/bình 16 L.*Cách ly đến ${phiUntil}`));

  // A harvest today is refused with the reason; the officer may record it anyway, with why.
  await byId(page, 'harvest-toggle').tap();
  await byId(page, 'harvest-kg').fill('120.5');
  await byId(page, 'harvest-grade').fill('loại 1');
  await byId(page, 'harvest-submit').tap();
  await byId(page, 'harvest-error').waitFor({ state: 'visible' });
  const refusal = await text(page, 'harvest-error');
  assert.match(refusal, /^Chưa được thu hoạch: /);
  assert.match(refusal, /Regent 800WG|fipronil/, 'the reason names the pesticide');
  await byId(page, 'harvest-override').waitFor({ state: 'visible' });
  await screenshot(page, 'harvest-refused');
  await byId(page, 'harvest-override-submit').tap();
  assert.equal(await text(page, 'harvest-override-error'), 'Cần ghi lý do', 'an override needs its reason');
  await byId(page, 'harvest-override-reason').fill('Mẫu kiểm dư lượng đạt');
  await byId(page, 'harvest-override-submit').tap();
  await until('the harvest is recorded', async () => (await text(page, 'lot-flash')) === 'Đã ghi thu hoạch (cán bộ xác nhận)');

  // The diary, newest first: the harvest on top, with the override.
  const first = page.locator('[data-testid="diary-list"] > li').first();
  assert.equal(await first.getAttribute('data-kind'), 'harvest');
  const harvestText = await first.textContent();
  assert.match(harvestText, /Thu hoạch.*120,5 kg.*Loại: loại 1/);
  assert.match(harvestText, new RegExp(`Cán bộ ${env('FG_OFFICER')} cho thu hoạch trong thời gian cách ly: Mẫu kiểm dư lượng đạt`));
  assert.equal(await byId(page, 'lot-chain').getAttribute('data-ok'), 'true');
  const entries = (await api(page, 'GET', `/api/v1/lots/${code}`)).json.entries;
  assert.match(await text(page, 'lot-chain'), new RegExp(`^✓ .*\\(${entries.length} mục\\)`), 'the chain verified, every entry counted');
  assert.equal(await text(page, 'lot-harvest-kg'), '120,5 kg');
  assert.equal(await text(page, 'lot-yield'), '241 kg/ha', '120.5 kg on 0.5 ha');
  if (wateredZ1) {
    // The farmer's run on z1 today, imported from the run log.
    const irrigation = page.locator('[data-testid="diary-list"] [data-kind="irrigation"]');
    assert.ok((await irrigation.count()) >= 1, 'the run log fills the diary');
    assert.match(await irrigation.first().textContent(), /Tưới [\d,]+ phút/);
  }
  await screenshot(page, 'lot-harvested');

  // The list shows it with its harvest.
  await byId(page, 'lot-back').tap();
  await byId(page, `lot-card-${code}`).waitFor({ state: 'visible' });
  assert.match(await text(page, `lot-card-${code}`), /Bưởi da xanh · Năm Roi.*★★★★.*120,5 kg · 241 kg\/ha.*Đang trồng/);
}

// FG_ONLY=ocop (or farmer) runs one part, e.g. while working on it.
const PARTS = { farmer: farmerAndViewer, ocop: ocopLot };

async function main() {
  const only = process.env.FG_ONLY;
  if (only && !(only in PARTS)) throw new Error(`FG_ONLY: one of ${Object.keys(PARTS).join(', ')}`);
  const browser = await chromium.launch({ executablePath: env('FG_CHROMIUM'), args: ['--no-sandbox'] });
  try {
    for (const [name, steps] of Object.entries(PARTS)) if (!only || only === name) await onPhone(browser, name, steps);
    console.log(`phone.spec: passed, ${shot} screenshots in ${out}`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(`phone.spec: FAILED: ${e.stack || e}`);
  process.exit(1);
});
