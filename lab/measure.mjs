// Measures the lab for docs/lab.md: the static build's size (raw and gzip), the time to the first
// page on the local server (cold browser contexts), and the small GPT training step in Chromium
// against `gradpath bench train` in Node on the same machine, both on the wasm kernels, taking
// turns so the machine's load falls on both alike.
//   npm run build && npm run build:lab && node lab/measure.mjs [rounds]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, extname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const labDir = join(root, 'dist', 'lab');
const rounds = Number(process.argv[2] ?? 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

// 1. bundle size
const files = [];
const walk = (d) => readdirSync(d).forEach((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : files.push(join(d, f))));
walk(labDir);
const byType = {};
for (const f of files) {
  const bytes = readFileSync(f);
  const t = (byType[extname(f)] ??= { files: 0, raw: 0, gzip: 0 });
  t.files++;
  t.raw += bytes.length;
  t.gzip += gzipSync(bytes).length;
}
const total = Object.values(byType).reduce((a, t) => ({ raw: a.raw + t.raw, gzip: a.gzip + t.gzip }), { raw: 0, gzip: 0 });
console.log(`bundle: ${files.length} files, ${(total.raw / 1024).toFixed(0)} KiB (${(total.gzip / 1024).toFixed(0)} KiB gzip)`);
for (const [ext, t] of Object.entries(byType)) console.log(`  ${ext}: ${t.files} files, ${(t.raw / 1024).toFixed(1)} KiB (${(t.gzip / 1024).toFixed(1)} KiB gzip)`);

const { chromium } = await import('playwright-core');
const { startLabServer } = await import(join(root, 'dist', 'src', 'cli', 'lab.js'));
const server = await startLabServer({ port: 0 });
const browser = await chromium.launch({ executablePath: process.env.GRADPATH_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });

// 2. time to first page: a fresh context (empty cache) per load
for (const page of ['', 'makemore.html']) {
  const loads = [];
  for (let i = 0; i < 5; i++) {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    await p.goto(server.url + page, { waitUntil: 'load' });
    await p.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0, undefined, { timeout: 10_000 }).catch(() => {});
    loads.push(await p.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      const bytes = performance.getEntriesByType('resource').reduce((a, r) => a + r.encodedBodySize, nav.encodedBodySize);
      return { fcp: fcp ? fcp.startTime : NaN, load: nav.loadEventEnd, bytes };
    }));
    await ctx.close();
  }
  console.log(`first page ${page || 'index.html'}: first contentful paint ${median(loads.map((l) => l.fcp)).toFixed(0)} ms, load ${median(loads.map((l) => l.load)).toFixed(0)} ms (median of 5 cold loads), ${(loads[0].bytes / 1024).toFixed(0)} KiB fetched`);
}

// 3. the small GPT step: browser vs Node, wasm both, 1 and 2 threads, alternating
async function browserStep(threads) {
  const p = await browser.newPage();
  await p.goto(`${server.url}transformers.html?benchSteps=20&threads=${threads}`);
  await p.getByRole('button', { name: 'Time it' }).click();
  await p.waitForFunction(() => ['done', 'error'].includes(document.querySelector('#speed-status').dataset.state), undefined, { timeout: 300_000 });
  const ms = Number(await p.$eval('#speed-result', (e) => e.dataset.medianMs));
  const engine = await p.$eval('#speed-status ~ .backend', (e) => e.textContent);
  await p.close();
  return { ms, engine };
}
function nodeStep(threads) {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'gradpath.js'), 'bench', 'train', '--backends', 'wasm', '--steps', '20', '--reference-steps', '0', '--json'],
    { encoding: 'utf8', env: { ...process.env, GRADPATH_THREADS: String(threads) } });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)).ms_per_step;
}
for (const threads of [1, 2]) {
  const b = [], n = [];
  let engine = '';
  for (let r = 0; r < rounds; r++) {
    n.push(nodeStep(threads));
    const res = await browserStep(threads);
    b.push(res.ms);
    engine = res.engine;
  }
  console.log(`small GPT step, ${threads} thread${threads > 1 ? 's' : ''}: browser ${median(b).toFixed(1)} ms (${b.map((x) => x.toFixed(0)).join(', ')}), node ${median(n).toFixed(1)} ms (${n.map((x) => x.toFixed(0)).join(', ')}), browser / node ${(median(b) / median(n)).toFixed(2)}; ${engine}`);
}
console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
await browser.close();
await server.close();
