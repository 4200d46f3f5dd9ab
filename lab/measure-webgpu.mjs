// Measures the lab's engine choice for docs/lab.md: the small GPT step of the transformers page's
// speed timer (`gradpath bench train`'s: 4 layers, 128 channels, block 64, batch 12) in headless
// Chromium on the webgpu backend and on wasm (one thread), taking turns so the machine's load falls
// on both alike. Without a GPU, Chromium's WebGPU adapter is SwiftShader (software): the figure
// then says what a learner without a GPU would see, nothing about GPUs.
//   npm run build && npm run build:lab && node lab/measure-webgpu.mjs [rounds] [timed steps]
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const rounds = Number(process.argv[2] ?? 1), steps = Number(process.argv[3] ?? 2);
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

const runs = { webgpu: [], wasm: [] };
for (let r = 0; r < rounds; r++) {
  for (const backend of ['wasm', 'webgpu']) {
    const res = await browserStep(backend);
    runs[backend].push(res);
    console.log(`round ${r + 1}, ${backend}: median step ${res.ms.toFixed(0)} ms over ${steps} timed steps; the whole run (start, warm-up step, timed steps) ${(res.total / 1000).toFixed(1)} s; ${res.engine}; load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  }
}
const gpu = median(runs.webgpu.map((x) => x.ms)), cpu = median(runs.wasm.map((x) => x.ms));
console.log(`small GPT step in Chromium: webgpu ${gpu.toFixed(0)} ms, wasm (1 thread) ${cpu.toFixed(0)} ms, webgpu / wasm ${(gpu / cpu).toFixed(1)}`);
await browser.close();
await server.close();
