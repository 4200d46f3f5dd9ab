// Measures the lab's engine choice for docs/lab.md: the small GPT step of the transformers page's
// speed timer (`gradpath bench train`'s: 4 layers, 128 channels, block 64, batch 12) in headless
// Chromium on the webgpu backend and on wasm (one thread), taking turns so the machine's load falls
// on both alike. Without a GPU, Chromium's WebGPU adapter is SwiftShader (software): the figure
// then says what a learner without a GPU would see, nothing about GPUs.
//   npm run build && npm run build:lab && node lab/measure-webgpu.mjs [rounds] [timed steps]
// With `rerun [runs]`: a short makemore run (2 steps) on webgpu, started `runs` times (default 2) in
// one page: the first starts the device and compiles the kernels; the later ones reuse the
// training worker's backend, so they compile nothing (the time of each run, click to done).
//   node lab/measure-webgpu.mjs rerun [runs]
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const rerun = process.argv[2] === 'rerun';
const rounds = rerun ? 0 : Number(process.argv[2] ?? 1), steps = Number(process.argv[3] ?? 2);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const { chromium } = await import('playwright-core');
const { startLabServer } = await import(join(root, 'dist', 'src', 'cli', 'lab.js'));
const { WEBGPU_CHROMIUM_ARGS } = await import(join(root, 'dist', 'test', 'lab', 'browser.js'));
const server = await startLabServer({ port: 0 });
const browser = await chromium.launch({ executablePath: process.env.GRADPATH_CHROMIUM ?? '/usr/bin/chromium', args: WEBGPU_CHROMIUM_ARGS });

/** The speed timer on `backend`: the median timed step (the first step, which compiles the kernels, is not timed) and the engine line. */
async function browserStep(backend) {
  const p = await browser.newPage();
  await p.goto(`${server.url}transformers.html?benchSteps=${steps}&threads=1&backend=${backend}`);
  const select = p.locator('#speed-status').locator('xpath=..').locator('select[name=backend]');
  await p.waitForFunction(() => !document.querySelector('#speed-status').closest('section').querySelector('select[name=backend] option[value=webgpu]').disabled, undefined, { timeout: 30_000 });
  await select.selectOption(backend);
  const t0 = performance.now();
  await p.getByRole('button', { name: 'Time it' }).click();
  await p.waitForFunction(() => ['done', 'error'].includes(document.querySelector('#speed-status').dataset.state), undefined, { timeout: 1_800_000, polling: 1000 });
  const total = performance.now() - t0;
  const ms = Number(await p.$eval('#speed-result', (e) => e.dataset.medianMs));
  const engine = await p.$eval('#speed-status ~ .backend', (e) => e.textContent);
  const status = await p.$eval('#speed-status', (e) => e.textContent);
  await p.close();
  return { ms, total, engine, status };
}

/** The same run started `count` times in one page on webgpu: seconds from each click to done. */
async function rerunSeconds(count) {
  const p = await browser.newPage();
  await p.goto(`${server.url}makemore.html?type=mlp&steps=2&batch=8&evalEvery=100&lr=0.01&backend=webgpu`);
  const section = p.locator('#status').locator('xpath=..');
  await p.waitForFunction(() => !document.querySelector('#status').closest('section').querySelector('select[name=backend] option[value=webgpu]').disabled, undefined, { timeout: 30_000 });
  await section.locator('select[name=backend]').selectOption('webgpu');
  const seconds = [];
  for (let r = 0; r < count; r++) {
    const t0 = performance.now();
    await section.getByRole('button', { name: /^Train/ }).click();
    await p.waitForFunction(() => ['done', 'error', 'stopped'].includes(document.querySelector('#status').dataset.state), undefined, { timeout: 1_800_000, polling: 200 });
    seconds.push((performance.now() - t0) / 1000);
    const state = await p.$eval('#status', (e) => `${e.dataset.state}: ${e.textContent}`);
    const engine = await p.$eval('#backend', (e) => e.textContent);
    console.log(`run ${r + 1}: ${seconds[r].toFixed(1)} s (${state}); ${engine}; load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  }
  await p.close();
  return seconds;
}

if (rerun) {
  const s = await rerunSeconds(Number(process.argv[3] ?? 2));
  console.log(`makemore (mlp, 2 steps) on webgpu in one page: first run ${s[0].toFixed(1)} s, later runs ${s.slice(1).map((x) => x.toFixed(1)).join(', ')} s`);
}
const runs = { webgpu: [], wasm: [] };
for (let r = 0; r < rounds; r++) {
  for (const backend of ['wasm', 'webgpu']) {
    const res = await browserStep(backend);
    runs[backend].push(res);
    console.log(`round ${r + 1}, ${backend}: median step ${res.ms.toFixed(0)} ms over ${steps} timed steps; the whole run (start, warm-up step, timed steps) ${(res.total / 1000).toFixed(1)} s; ${res.engine}; load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  }
}
const gpu = median(runs.webgpu.map((x) => x.ms)), cpu = median(runs.wasm.map((x) => x.ms));
if (!rerun) console.log(`small GPT step in Chromium: webgpu ${gpu.toFixed(0)} ms, wasm (1 thread) ${cpu.toFixed(0)} ms, webgpu / wasm ${(gpu / cpu).toFixed(1)}`);
await browser.close();
await server.close();
