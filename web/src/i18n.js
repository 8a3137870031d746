// Strings for the page: Vietnamese by default, English on request. The choice is kept in
// localStorage so a shared phone keeps its farmer's language.
import vi from './i18n/vi.json';
import en from './i18n/en.json';

const TABLES = { vi, en };
const KEY = 'fg.lang';

let lang = (() => {
  try {
    const saved = localStorage.getItem(KEY);
    return saved in TABLES ? saved : 'vi';
  } catch {
    return 'vi';
  }
})();

export function currentLang() {
  return lang;
}

export function setLang(next) {
  lang = next in TABLES ? next : 'vi';
  try {
    localStorage.setItem(KEY, lang);
  } catch {
    // private mode: the choice lasts for this page only
  }
  document.documentElement.lang = lang;
}

// t('zone.running', {min: 5}) -> "Đang tưới — còn 5 phút". A missing key shows itself, so it is
// noticed rather than silently blank.
export function t(key, vars = {}) {
  const s = TABLES[lang][key] ?? TABLES.vi[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`));
}
