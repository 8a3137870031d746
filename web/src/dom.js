// Small DOM and formatting helpers shared by the zones page (app.js) and the lots pages
// (lots.js).
import { currentLang } from './i18n.js';

export const $ = (sel) => document.querySelector(sel);

// h('button', {class: 'big', onclick: f, 'data-testid': 'x'}, 'text', child...)
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const pad = (n) => String(n).padStart(2, '0');

// "2026-03-16" -> "16/03/2026": how dates are written in Vietnam (and on the printed record).
export function dmy(date) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date || '');
  return m ? `${m[3]}/${m[2]}/${m[1]}` : date || '';
}

// The phone's calendar date, YYYY-MM-DD; the phone and the gateway share the farm's time zone.
export function today() {
  const d = new Date();
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

// 1200.5 -> "1.200,5" in Vietnamese, "1,200.5" in English.
export function num(n, digits = 1) {
  if (n === null || n === undefined || !Number.isFinite(Number(n))) return '—';
  return new Intl.NumberFormat(currentLang() === 'vi' ? 'vi-VN' : 'en-US', { maximumFractionDigits: digits }).format(Number(n));
}
