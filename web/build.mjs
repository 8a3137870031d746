// Builds web/dist: the page, its hashed and minified script and style, the service worker with
// the shell list, the manifest and icons, and a .gz beside each text file (farmgate serves it
// to browsers that accept gzip, so the Pi never compresses on the fly).
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { iconPng } from './scripts/icons.mjs';

const root = new URL('.', import.meta.url).pathname;
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'assets'), { recursive: true });

const result = await esbuild.build({
  entryPoints: [join(root, 'src/app.js')],
  bundle: true,
  splitting: true, // the chart library loads when a chart is first opened
  format: 'esm',
  minify: true,
  sourcemap: false,
  target: ['chrome70'],
  outdir: join(dist, 'assets'),
  entryNames: '[name]-[hash]',
  chunkNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((p) => relative(join(root, 'dist'), join(root, p)));
const js = outputs.find((p) => /^assets\/app-.*\.js$/.test(p));
const css = outputs.find((p) => /^assets\/app-.*\.css$/.test(p));
if (!js || !css) throw new Error(`build: no app script or style in ${outputs.join(', ')}`);

const html = readFileSync(join(root, 'src/index.html'), 'utf8')
  .replace('/assets/__JS__', `/${js}`)
  .replace('/assets/__CSS__', `/${css}`);
writeFileSync(join(dist, 'index.html'), html);

cpSync(join(root, 'public'), dist, { recursive: true });
writeFileSync(join(dist, 'icons/icon-192.png'), iconPng(192));
writeFileSync(join(dist, 'icons/icon-512.png'), iconPng(512));

// Everything but the service worker itself is the shell; its cache name changes with any file.
const files = (dir) =>
  readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
const shell = ['/', ...files(dist).map((f) => '/' + relative(dist, f))].filter((p) => p !== '/index.html');
shell.push('/index.html');
const version = createHash('sha256');
for (const f of files(dist).sort()) version.update(readFileSync(f));
const sw = readFileSync(join(root, 'src/sw.js'), 'utf8')
  .replace("'fg-shell-__VERSION__'", `'fg-shell-${version.digest('hex').slice(0, 12)}'`)
  .replace('= __SHELL__;', '= ' + JSON.stringify(shell.filter((p) => p !== '/')) + ';');
const swMin = await esbuild.transform(sw, { minify: true, target: 'chrome70' });
writeFileSync(join(dist, 'sw.js'), swMin.code);

for (const f of files(dist)) {
  if (/\.(html|js|css|svg|json|webmanifest)$/.test(f)) writeFileSync(f + '.gz', gzipSync(readFileSync(f), { level: 9 }));
}

for (const f of files(dist).filter((f) => !f.endsWith('.gz'))) {
  console.log(`${relative(dist, f).padEnd(40)} ${statSync(f).size} B`);
}
