// The OCOP lots pages (#/lots, #/lots/<code>): the list of lots with their harvest and yield, a
// new-lot form for officers, and a lot's page with its chain check, printable record, label and
// QR code, the production diary newest first, and the forms with which farmers and officers add
// diary entries and harvests. The gateway decides (roles, pre-harvest intervals, closed lots);
// the page only hides what a role cannot do and shows the gateway's reasons where they were asked.
import * as api from './api.js';
import { t, currentLang } from './i18n.js';
import { h, dmy, today, num } from './dom.js';

// The kinds a person types in; irrigation entries come from the run log only.
const KINDS = ['fertiliser', 'pesticide', 'pruning', 'other'];
const ICONS = { fertiliser: '🌱', pesticide: '🧴', pruning: '✂️', irrigation: '💧', other: '📝', harvest: '🧺' };
const EXPORTS = ['lots', 'diary', 'irrigation', 'season'];

let ctx = { session: null, zones: [], authLost: () => {} };
// Shown once at the top of the next lot page: what the last form did, as a function of the
// language so that a switch right after still reads right.
let flash = null;
// Each showLots() call draws only if no newer one started meanwhile (a slow answer for the
// list must not replace the lot page the farmer has since opened).
let generation = 0;

const role = () => ctx.session?.role;
const isOfficer = () => ['officer', 'admin'].includes(role());
const mayRecord = () => ['farmer', 'officer', 'admin'].includes(role());
const zoneName = (id) => ctx.zones.find((z) => z.id === id)?.name || id;

// replaceChildren() would write null as the text "null".
const fill = (main, ...children) => main.replaceChildren(...children.filter(Boolean));

export function showLots(main, code, context) {
  ctx = context;
  const mine = ++generation;
  const current = () => mine === generation;
  fill(main, h('p', { class: 'small' }, t('lots.loading')));
  const draw = code ? drawLot(main, code, current) : drawList(main, current);
  draw.catch((e) => {
    if (!current()) return;
    if (e.status === 401) return ctx.authLost();
    fill(
      main,
      code ? backLink() : null,
      h('p', { class: 'note bad', role: 'alert', 'data-testid': 'lots-error' }, e.status === 404 ? t('lot.missing') : failText(e)),
    );
  });
}

function failText(e) {
  if (e.status === 0) return t('error.network');
  if (e.status === 403) return t('error.forbidden');
  return e.body?.reason || e.message;
}

// --- the list ---------------------------------------------------------------------------------

async function drawList(main, current) {
  const [{ lots }, zones] = await Promise.all([
    api.getLots(),
    ctx.zones.length || !isOfficer() ? null : api.getZones().then((r) => r.zones || []),
  ]);
  if (!current()) return;
  if (zones) ctx.zones = zones;
  fill(
    main,
    h(
      'section',
      { class: 'lots', 'data-testid': 'lots' },
      h('h2', {}, t('lots.title')),
      isOfficer() ? newLotForm() : null,
      lots.length
        ? h('div', { 'data-testid': 'lot-list' }, lots.map(lotCard))
        : h('p', { class: 'note', 'data-testid': 'lots-empty' }, t('lots.empty')),
    ),
    isOfficer() ? exportBlock() : null,
  );
}

function stars(n) {
  if (!n) return null;
  const label = t('lot.stars', { n });
  return h('span', { class: 'stars', title: label, 'aria-label': label }, ` OCOP ${'★'.repeat(n)}`);
}

function yieldText(kgHa) {
  if (kgHa === null || kgHa === undefined) return '—';
  return kgHa >= 1000 ? `${num(kgHa / 1000, 2)} t/ha` : `${num(kgHa, 0)} kg/ha`;
}

function statusBadge(lot) {
  return lot.closed
    ? h('span', { class: 'badge closed', 'data-testid': `lot-status-${lot.code}` }, t('lot.closed', { date: dmy(lot.closed) }))
    : h('span', { class: 'badge growing', 'data-testid': `lot-status-${lot.code}` }, t('lot.growing'));
}

function lotCard(lot) {
  return h(
    'a',
    { class: 'lot-card', href: `#/lots/${encodeURIComponent(lot.code)}`, 'data-testid': `lot-card-${lot.code}` },
    h('div', { class: 'lot-name' }, h('strong', {}, lot.product), lot.variety ? ` · ${lot.variety}` : '', stars(lot.ocop_stars)),
    h('div', { class: 'small' }, `${t('lot.code')}: ${lot.code} · ${(lot.zones || []).map((z) => zoneName(z.zone)).join(', ')}`),
    h('div', {}, `${t('lot.planted')}: ${dmy(lot.planted)}`),
    h('div', { 'data-testid': `lot-harvest-${lot.code}` }, `${t('lot.harvested')}: ${num(lot.harvest_kg)} kg · ${yieldText(lot.yield_kg_ha)}`),
    statusBadge(lot),
  );
}

function exportBlock() {
  return h(
    'section',
    { class: 'export', 'data-testid': 'export' },
    h('h2', {}, t('export.title')),
    h('p', { class: 'small' }, t('export.hint')),
    h('div', { class: 'buttons' },
      EXPORTS.map((k) => h('a', { class: 'button', href: api.exportLink(k, currentLang()), download: '', 'data-testid': `export-${k}` }, t(`export.${k}`))),
    ),
  );
}

// --- forms ------------------------------------------------------------------------------------

function field(label, input, attrs = {}) {
  return h('label', attrs, label, input);
}

// The error line under a form: the gateway's reason, kept until the next send. The form keeps
// what was typed.
function errorLine(testid) {
  return h('p', { class: 'note bad', role: 'alert', 'data-testid': testid, hidden: true });
}
function showError(el, text) {
  el.textContent = text;
  el.hidden = !text;
}

// Sends with the button disabled (no double entries from a double tap); `fail` gets an
// ApiError other than 401, which ends the session on the page.
async function send(button, work, fail) {
  button.disabled = true;
  try {
    await work();
  } catch (e) {
    if (e.status === 401) return ctx.authLost();
    fail(e);
  } finally {
    button.disabled = false;
  }
}

const value = (form, name) => (form.elements[name]?.value ?? '').trim();

function newLotForm() {
  const error = errorLine('lot-form-error');
  const submit = h('button', { class: 'big primary', type: 'submit', 'data-testid': 'lot-submit' }, t('lot.create'));
  const zones = ctx.zones.map((z) =>
    h(
      'div',
      { class: 'zone-pick' },
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'zone', value: z.id, 'data-testid': `lot-zone-${z.id}` }), z.name || z.id),
      h('input', { type: 'number', name: `area-${z.id}`, min: '0', step: 'any', inputmode: 'decimal', placeholder: t('lot.area.optional'), 'aria-label': `${t('lot.area')} ${z.name || z.id}`, 'data-testid': `lot-area-${z.id}` }),
    ),
  );
  const form = h(
    'form',
    { class: 'stack', 'data-testid': 'lot-form', novalidate: true },
    field(t('lot.code'), h('input', { name: 'code', required: true, maxlength: 20, autocapitalize: 'characters', placeholder: 'BUOI-2026-01', 'data-testid': 'lot-code' })),
    field(t('lot.product'), h('input', { name: 'product', required: true, maxlength: 100, placeholder: t('lot.product.example'), 'data-testid': 'lot-product' })),
    field(t('lot.variety'), h('input', { name: 'variety', maxlength: 100, 'data-testid': 'lot-variety' })),
    field(t('lot.gtin'), h('input', { name: 'gtin', inputmode: 'numeric', maxlength: 14, 'data-testid': 'lot-gtin' })),
    field(t('lot.stars.label'), h('select', { name: 'stars', 'data-testid': 'lot-stars' },
      h('option', { value: '' }, t('lot.stars.none')),
      [3, 4, 5].map((n) => h('option', { value: n }, `${n} ★`)),
    )),
    h('fieldset', { class: 'zones-pick' }, h('legend', {}, t('lot.zones.pick')), zones.length ? zones : h('p', { class: 'small' }, t('zones.empty'))),
    field(t('lot.planted'), h('input', { type: 'date', name: 'planted', required: true, value: today(), max: today(), 'data-testid': 'lot-planted' })),
    field(t('lot.expected'), h('input', { type: 'date', name: 'expected', 'data-testid': 'lot-expected' })),
    field(t('lot.notes'), h('textarea', { name: 'notes', rows: 2, 'data-testid': 'lot-notes' })),
    error,
    submit,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const picked = [...form.querySelectorAll('input[name=zone]:checked')].map((c) => c.value);
    const body = {
      code: value(form, 'code'),
      product: value(form, 'product'),
      zones: picked.map((zone) => {
        const area = value(form, `area-${zone}`);
        return area ? { zone, area_m2: Number(area) } : { zone };
      }),
      planted: value(form, 'planted'),
    };
    if (!body.code || !body.product || !body.planted) return showError(error, t('lot.need'));
    if (!picked.length) return showError(error, t('lot.need.zone'));
    if (value(form, 'variety')) body.variety = value(form, 'variety');
    if (value(form, 'gtin')) body.gtin = value(form, 'gtin');
    if (value(form, 'stars')) body.ocop_stars = Number(value(form, 'stars'));
    if (value(form, 'expected')) body.expected_harvest = value(form, 'expected');
    if (value(form, 'notes')) body.notes = value(form, 'notes');
    showError(error, '');
    send(
      submit,
      async () => {
        const lot = await api.createLot(body);
        flash = { text: () => t('lot.created'), kind: 'good' };
        location.hash = `#/lots/${encodeURIComponent(lot.code || body.code)}`;
      },
      (e) => showError(error, e.status === 409 && e.body?.error === 'exists' ? t('lot.exists', { code: body.code }) : failText(e)),
    );
  });
  return h('details', { class: 'form-box', 'data-testid': 'lot-new' }, h('summary', { 'data-testid': 'lot-new-toggle' }, t('lot.new')), form);
}

function zoneSelect(lot, testid) {
  return h(
    'select',
    { name: 'zone', 'data-testid': testid },
    h('option', { value: '' }, t('entry.zone.all')),
    (lot.zones || []).map((z) => h('option', { value: z.zone }, zoneName(z.zone))),
  );
}

// Fields that only some kinds have: shown for those kinds only, and sent only when shown.
function kindField(kinds, label, input) {
  return field(label, input, { 'data-kinds': kinds.join(' ') });
}

function diaryForm(lot, reload) {
  const error = errorLine('diary-error');
  const submit = h('button', { class: 'big primary', type: 'submit', 'data-testid': 'diary-submit' }, t('diary.save'));
  const kind = h('select', { name: 'kind', 'data-testid': 'diary-kind' }, KINDS.map((k) => h('option', { value: k }, `${ICONS[k]} ${t(`kind.${k}`)}`)));
  const form = h(
    'form',
    { class: 'stack', 'data-testid': 'diary-form', novalidate: true },
    field(t('entry.kind'), kind),
    field(t('entry.date'), h('input', { type: 'date', name: 'date', required: true, value: today(), max: today(), 'data-testid': 'diary-date' })),
    lot.zones?.length > 1 ? field(t('entry.zone'), zoneSelect(lot, 'diary-zone')) : null,
    kindField(['fertiliser', 'pesticide'], t('entry.material'), h('input', { name: 'material', maxlength: 200, 'data-testid': 'diary-material' })),
    kindField(['pesticide'], t('entry.ai'), h('input', { name: 'active_ingredient', maxlength: 200, 'data-testid': 'diary-ai' })),
    h('div', { class: 'row', 'data-kinds': 'fertiliser pesticide' },
      field(t('entry.amount'), h('input', { type: 'number', name: 'amount', min: '0', step: 'any', inputmode: 'decimal', 'data-testid': 'diary-amount' })),
      field(t('entry.unit'), h('input', { name: 'unit', maxlength: 50, placeholder: 'kg, ml/bình 16 L', 'data-testid': 'diary-unit' })),
    ),
    kindField(['pesticide'], t('entry.phi'), h('input', { type: 'number', name: 'phi_days', min: '0', max: '365', step: '1', inputmode: 'numeric', 'data-testid': 'diary-phi' })),
    field(t('entry.note'), h('textarea', { name: 'note', rows: 2, maxlength: 200, 'data-testid': 'diary-note' })),
    error,
    submit,
  );
  const showKindFields = () => {
    for (const el of form.querySelectorAll('[data-kinds]')) el.hidden = !el.dataset.kinds.split(' ').includes(kind.value);
  };
  kind.addEventListener('change', showKindFields);
  showKindFields();
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body = { kind: kind.value, date: value(form, 'date') };
    if (!body.date) return showError(error, t('entry.need.date'));
    for (const name of ['zone', 'material', 'active_ingredient', 'unit', 'note']) {
      const input = form.elements[name];
      if (input && !input.closest('[hidden]') && value(form, name)) body[name] = value(form, name);
    }
    const shown = (name) => !form.elements[name].closest('[hidden]') && value(form, name) !== '';
    if (shown('amount')) body.amount = Number(value(form, 'amount'));
    if (shown('phi_days')) body.phi_days = Number(value(form, 'phi_days'));
    showError(error, '');
    send(
      submit,
      async () => {
        await api.addDiary(lot.code, body);
        flash = { text: () => t('diary.saved'), kind: 'good' };
        reload();
      },
      (e) => showError(error, failText(e)),
    );
  });
  return h('details', { class: 'form-box', 'data-testid': 'diary-box' }, h('summary', { 'data-testid': 'diary-toggle' }, t('diary.add')), form);
}

// Why a harvest on `date` is refused, in the page's language, from the lot's own pesticide
// entries (the gateway's reason is in English): the entry whose interval ends last.
function phiReason(entries, date) {
  let worst = null;
  for (const e of entries) {
    if (e.kind !== 'pesticide' || !e.phi_until || e.date > date || e.phi_until <= date) continue;
    if (!worst || e.phi_until > worst.phi_until) worst = e;
  }
  if (!worst) return null;
  const what = [worst.material, worst.active_ingredient && `(${worst.active_ingredient})`].filter(Boolean).join(' ');
  return t('harvest.phi', { what: what || t('kind.pesticide'), applied: dmy(worst.date), days: worst.phi_days, from: dmy(worst.phi_until) });
}

function harvestForm(lot, entries, reload) {
  const error = errorLine('harvest-error');
  const submit = h('button', { class: 'big primary', type: 'submit', 'data-testid': 'harvest-submit' }, t('harvest.save'));
  // An officer's answer to a refusal inside a pre-harvest interval: record it anyway, with why.
  const overrideError = errorLine('harvest-override-error');
  const overrideReason = h('textarea', { name: 'override_reason', rows: 2, maxlength: 200, 'data-testid': 'harvest-override-reason' });
  const overrideButton = h('button', { class: 'big stop', type: 'button', 'data-testid': 'harvest-override-submit' }, t('override.submit'));
  const override = h(
    'div',
    { class: 'override-box', 'data-testid': 'harvest-override', hidden: true },
    field(t('override.reason'), overrideReason),
    overrideError,
    overrideButton,
  );
  const form = h(
    'form',
    { class: 'stack', 'data-testid': 'harvest-form', novalidate: true },
    field(t('entry.date'), h('input', { type: 'date', name: 'date', required: true, value: today(), max: today(), 'data-testid': 'harvest-date' })),
    field(t('harvest.kg'), h('input', { type: 'number', name: 'quantity_kg', required: true, min: '0', step: 'any', inputmode: 'decimal', 'data-testid': 'harvest-kg' })),
    field(t('harvest.grade'), h('input', { name: 'grade', maxlength: 50, placeholder: t('harvest.grade.example'), 'data-testid': 'harvest-grade' })),
    lot.zones?.length > 1 ? field(t('entry.zone'), zoneSelect(lot, 'harvest-zone')) : null,
    field(t('entry.note'), h('textarea', { name: 'note', rows: 2, maxlength: 200, 'data-testid': 'harvest-note' })),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'final', 'data-testid': 'harvest-final' }), t('harvest.final')),
    error,
    submit,
    override,
  );
  const body = () => {
    const b = { date: value(form, 'date'), quantity_kg: Number(value(form, 'quantity_kg')) };
    for (const name of ['grade', 'zone', 'note']) if (value(form, name)) b[name] = value(form, name);
    if (form.elements.final.checked) b.final = true;
    return b;
  };
  const record = (b, button) =>
    send(
      button,
      async () => {
        await api.addHarvest(lot.code, b);
        flash = { text: () => t(b.override_reason ? 'harvest.saved.override' : 'harvest.saved'), kind: 'good' };
        reload();
      },
      (e) => {
        if (e.status === 409 && e.body?.error === 'pre_harvest_interval') {
          showError(error, t('harvest.refused', { reason: phiReason(entries, b.date) || e.body.reason || '' }));
          error.classList.add('refusal');
          override.hidden = !isOfficer();
          showError(overrideError, '');
          if (isOfficer()) overrideReason.focus();
        } else {
          error.classList.remove('refusal');
          showError(b.override_reason ? overrideError : error, failText(e));
        }
      },
    );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const b = body();
    if (!b.date || !(b.quantity_kg > 0)) return showError(error, t('harvest.need'));
    showError(error, '');
    override.hidden = true;
    record(b, submit);
  });
  overrideButton.addEventListener('click', () => {
    const why = overrideReason.value.trim();
    if (!why) return showError(overrideError, t('override.need'));
    showError(overrideError, '');
    record({ ...body(), override_reason: why }, overrideButton);
  });
  return h('details', { class: 'form-box', 'data-testid': 'harvest-box' }, h('summary', { 'data-testid': 'harvest-toggle' }, t('harvest.add')), form);
}

// --- one lot ----------------------------------------------------------------------------------

const backLink = () => h('a', { class: 'back', href: '#/lots', 'data-testid': 'lot-back' }, `← ${t('lots.title')}`);

function chainLine(chain) {
  if (!chain) return null;
  return chain.ok
    ? h('p', { class: 'chain ok', 'data-testid': 'lot-chain', 'data-ok': 'true' }, `✓ ${t('chain.ok', { n: chain.entries })}`)
    : h(
        'p',
        { class: 'chain bad', role: 'alert', 'data-testid': 'lot-chain', 'data-ok': 'false' },
        `✗ ${chain.broken_at ? t('chain.broken.at', { seq: chain.broken_at }) : t('chain.broken')}`,
        chain.reason ? h('span', { class: 'chain-reason' }, ` ${chain.reason}`) : null,
      );
}

function documents(lot, url) {
  const lang = currentLang();
  const link = (what, params, testid, label) =>
    h('a', { class: 'button', href: api.lotLink(lot.code, what, params), target: '_blank', rel: 'noopener', 'data-testid': testid }, label);
  return h(
    'section',
    { class: 'docs' },
    h('div', { class: 'buttons' },
      link('record', { format: 'html', lang }, 'lot-record-link', t('lot.record')),
      // The label is the QR code with the product: there is none without a public URL.
      url ? link('label', { lang }, 'lot-label-link', t('lot.label')) : null,
    ),
    // No public URL configured: the gateway answers 409 no_url; the picture removes itself then.
    url
      ? h(
          'figure',
          { class: 'qr', 'data-testid': 'lot-qr' },
          h('img', { src: api.lotLink(lot.code, 'qr.svg'), alt: t('lot.qr'), width: 160, height: 160, onerror: (ev) => ev.target.closest('figure')?.remove() }),
          h('figcaption', { class: 'small' }, h('a', { href: url, target: '_blank', rel: 'noopener' }, url)),
        )
      : null,
  );
}

function facts(lot, data) {
  const rows = [
    [t('lot.code'), lot.code],
    [t('lot.zones'), (lot.zones || []).map((z) => `${zoneName(z.zone)} (${num(z.area_m2, 0)} m²)`).join(', ')],
    [t('lot.planted'), dmy(lot.planted)],
    lot.expected_harvest ? [t('lot.expected'), dmy(lot.expected_harvest)] : null,
    [t('lot.harvested'), `${num(data.harvest_kg)} kg`, 'lot-harvest-kg'],
    [t('lot.yield'), yieldText(data.yield_kg_ha), 'lot-yield'],
    lot.gtin ? ['GTIN', lot.gtin] : null,
    [t('lot.created_by'), lot.created_by],
  ].filter(Boolean);
  return h('dl', { class: 'facts' }, rows.map(([k, v, id]) => [h('dt', {}, k), h('dd', { 'data-testid': id }, v)]));
}

function entryLines(e) {
  const lines = [];
  if (e.kind === 'irrigation') {
    lines.push(t('entry.irrigation', { min: num(e.duration_s / 60, 1), water: e.volume_l === null || e.volume_l === undefined ? t('entry.no_meter') : `${num(e.volume_l, 0)} L` }));
    if (e.reason) lines.push(t('entry.reason', { reason: e.reason }));
  }
  if (e.material) lines.push(`${t('entry.material')}: ${e.material}`);
  if (e.active_ingredient) lines.push(`${t('entry.ai')}: ${e.active_ingredient}`);
  if (e.amount !== null && e.amount !== undefined) lines.push(`${t('entry.dose')}: ${num(e.amount, 3)} ${e.unit || ''}`.trim());
  if (e.kind === 'harvest') {
    const parts = [`${num(e.quantity_kg)} kg`];
    if (e.grade) parts.push(`${t('harvest.grade')}: ${e.grade}`);
    if (e.final) parts.push(t('harvest.final.short'));
    lines.push(parts.join(' · '));
  }
  return lines.map((l) => h('div', {}, l));
}

function entryItem(e) {
  return h(
    'li',
    { class: `entry k-${e.kind}`, 'data-testid': `entry-${e.seq}`, 'data-kind': e.kind },
    h('div', { class: 'entry-head' },
      h('span', { class: 'entry-kind' }, `${ICONS[e.kind] || ''} ${t(`kind.${e.kind}`)}`),
      h('span', { class: 'entry-date' }, dmy(e.date)),
    ),
    e.zone ? h('div', { class: 'small' }, zoneName(e.zone)) : null,
    entryLines(e),
    e.phi_until ? h('div', { class: 'phi', 'data-testid': `entry-phi-${e.seq}` }, t('entry.phi_until', { date: dmy(e.phi_until) })) : null,
    e.override_by
      ? h('div', { class: 'override', 'data-testid': `entry-override-${e.seq}` }, t('entry.override', { who: e.override_by, reason: e.override_reason || '' }))
      : null,
    e.note ? h('div', { class: 'entry-note' }, e.note) : null,
    h('div', { class: 'small' }, t(e.kind === 'irrigation' ? 'entry.auto' : 'entry.who', { who: e.who, seq: e.seq })),
  );
}

async function drawLot(main, code, current) {
  const [data, zones] = await Promise.all([
    api.getLot(code),
    ctx.zones.length ? null : api.getZones().then((r) => r.zones || []).catch(() => null),
  ]);
  if (!current()) return;
  if (zones) ctx.zones = zones;
  const lot = data.lot;
  const entries = [...(data.entries || [])].sort((a, b) => (a.date < b.date ? 1 : a.date > b.date ? -1 : b.seq - a.seq));
  const reload = () => showLots(main, code, ctx);
  const note = flash;
  flash = null;
  fill(
    main,
    backLink(),
    note ? h('p', { class: `note ${note.kind}`, role: 'status', 'data-testid': 'lot-flash' }, note.text()) : null,
    h(
      'article',
      { class: 'lot', 'data-testid': 'lot-page', 'data-lot': lot.code },
      h('h2', {}, lot.product, lot.variety ? ` · ${lot.variety}` : '', stars(lot.ocop_stars)),
      statusBadge(lot),
      facts(lot, data),
      lot.notes ? h('p', { class: 'entry-note' }, lot.notes) : null,
      chainLine(data.chain),
      documents(lot, data.url),
    ),
    lot.closed
      ? h('p', { class: 'note', 'data-testid': 'lot-closed' }, t('lot.closed.note', { date: dmy(lot.closed) }))
      : mayRecord()
        ? h('section', { class: 'record-forms' }, diaryForm(lot, reload), harvestForm(lot, data.entries || [], reload))
        : null,
    h(
      'section',
      { class: 'diary' },
      h('h2', {}, t('diary.title')),
      entries.length
        ? h('ol', { class: 'entries', 'data-testid': 'diary-list' }, entries.map(entryItem))
        : h('p', { class: 'note', 'data-testid': 'diary-empty' }, t('diary.empty')),
    ),
  );
}
