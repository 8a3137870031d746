// npm run size: fails when the gzipped total of dist/ is over the budget. Counts every file the
// page may fetch (the chart chunk too, fetched on the first chart), gzipped as sent.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET = 150 * 1024;
const dist = new URL('../dist', import.meta.url).pathname;
if (!existsSync(join(dist, 'index.html'))) {
  console.error('size: no dist/index.html; run npm run build first');
  process.exit(1);
}
const files = (dir) =>
  readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));

let total = 0;
for (const f of files(dist).filter((f) => !f.endsWith('.gz'))) {
  // PNGs are already compressed: counted as they are.
  const bytes = readFileSync(f);
  const size = f.endsWith('.png') ? bytes.length : gzipSync(bytes, { level: 9 }).length;
  total += size;
  console.log(`${relative(dist, f).padEnd(40)} ${size} B gz`);
}
const kb = (n) => (n / 1024).toFixed(1);
console.log(`total ${kb(total)} KB gzipped, budget ${kb(BUDGET)} KB`);
if (total > BUDGET) {
  console.error(`size: over budget by ${kb(total - BUDGET)} KB`);
  process.exit(1);
}
