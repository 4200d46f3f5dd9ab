/**
 * The lab's engine choice in a browser with WebGPU (headless Chromium on SwiftShader): the training
 * pages offer webgpu (marked as a software adapter), a short run on it trains in the page's training
 * worker on the webgpu backend (its device in a nested worker), and its first and last losses
 * equal the wasm backend's on the same settings. Two steps: the first compiles the kernels
 * (seconds each on SwiftShader), the last also evaluates and samples on the device. Skips, saying why, without Chromium or a WebGPU adapter.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { browserSkip, data, openPage, startLab, trainToEnd, waitFor, WEBGPU_CHROMIUM_ARGS, type Lab } from './browser.js';

let skip: string | false = (await browserSkip()) ?? false;
let lab: Lab;

before(async () => {
  if (skip) return;
  lab = await startLab([], true, WEBGPU_CHROMIUM_ARGS);
  const { page } = await openPage(lab, '');
  const adapter = await page.evaluate(`navigator.gpu ? navigator.gpu.requestAdapter().then((a) => (a ? '' : 'no WebGPU adapter in Chromium')) : 'no navigator.gpu in Chromium'`) as string;
  await page.close();
  if (adapter) skip = adapter;
});

after(async () => {
  if (lab) await lab.close();
});

/** Trains on `backend` (the page's engine choice) and reports the run and the engine line. */
async function trainOn(path: string, backend: 'wasm' | 'webgpu'): Promise<{ first: number; last: number; state: string; engine: Record<string, string>; engineText: string; errors: string[] }> {
  const { page, errors } = await openPage(lab, path);
  await waitFor(page, `!document.querySelector('#status')?.closest('section')?.querySelector('select[name=backend] option[value=webgpu]')?.disabled`);
  assert.match(await page.$eval('#status', (s) => s.closest('section')!.querySelector('select[name=backend] option[value=webgpu]')!.textContent!), /software adapter/);
  await page.locator('#status').locator('xpath=..').locator('select[name=backend]').selectOption(backend);
  const run = await trainToEnd(page, 240_000);
  const engine = await data(page, '#backend');
  const engineText = (await page.textContent('#backend')) ?? '';
  await page.close();
  return { ...run, engine, engineText, errors };
}

const checks: [string, string][] = [
  ['transformers', 'transformers.html?nLayer=1&nHead=2&nEmbd=16&blockSize=8&batch=4&steps=2&evalEvery=100&lr=0.01&text=' + encodeURIComponent('First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n'.repeat(30))],
  ['makemore', 'makemore.html?type=mlp&steps=2&batch=8&evalEvery=100&lr=0.01'],
];

for (const [name, path] of checks) {
  test(`${name}: trains on webgpu in the training worker, with wasm's losses`, { skip: skip || false, timeout: 600_000 }, async (t) => {
    if (skip) return void t.skip(skip);
    const gpu = await trainOn(path, 'webgpu');
    assert.equal(gpu.state.split(':')[0], 'done', gpu.state);
    assert.equal(gpu.engine.backend, 'webgpu', gpu.engineText);
    assert.match(gpu.engineText, /WebGPU on .*swiftshader/i);
    const cpu = await trainOn(path, 'wasm');
    assert.equal(cpu.engine.backend, 'wasm', cpu.engineText);
    // the same run: the first loss, and the last after an AdamW step (float32 sums in another order)
    assert.ok(Number.isFinite(gpu.first) && Math.abs(gpu.first - cpu.first) < 1e-4, `first loss ${gpu.first} on webgpu, ${cpu.first} on wasm`);
    assert.ok(Math.abs(gpu.last - cpu.last) < 1e-4, `last loss ${gpu.last} on webgpu, ${cpu.last} on wasm`);
    assert.deepEqual([...gpu.errors, ...cpu.errors], []);
  });
}

test('a second run in the same page (the same training worker and device, its kernels compiled) gives the first run\'s losses', { skip: skip || false, timeout: 600_000 }, async (t) => {
  if (skip) return void t.skip(skip);
  const { page, errors } = await openPage(lab, checks[1][1]);
  await waitFor(page, `!document.querySelector('#status')?.closest('section')?.querySelector('select[name=backend] option[value=webgpu]')?.disabled`);
  await page.locator('#status').locator('xpath=..').locator('select[name=backend]').selectOption('webgpu');
  const first = await trainToEnd(page, 240_000), second = await trainToEnd(page, 240_000);
  assert.equal(second.state.split(':')[0], 'done', second.state);
  assert.equal((await data(page, '#backend')).backend, 'webgpu');
  assert.deepEqual([second.first, second.last], [first.first, first.last]);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the engine choice follows the browser: without an adapter, webgpu is offered disabled and says why', { skip: (await browserSkip()) ?? false, timeout: 120_000 }, async (t) => {
  const plain = await startLab(); // Chromium's default flags: WebGPU without SwiftShader, which on a machine without a GPU gives no adapter
  try {
    const { page, errors } = await openPage(plain, 'makemore.html?backend=webgpu');
    const hasGpu = await page.evaluate(`'gpu' in navigator`);
    if (!hasGpu) {
      assert.equal(await page.$$eval('select[name=backend]', (s) => s.length), 0, 'no choice without navigator.gpu');
      return;
    }
    const adapter = await page.evaluate(`navigator.gpu.requestAdapter().then((a) => a !== null)`);
    if (adapter) return void t.skip('this Chromium gives an adapter without SwiftShader flags');
    await waitFor(page, `/no adapter/.test(document.querySelector('select[name=backend] option[value=webgpu]').textContent)`);
    assert.equal(await page.$eval('select[name=backend] option[value=webgpu]', (o) => (o as unknown as { disabled: boolean }).disabled), true);
    assert.equal(await page.$eval('select[name=backend]', (s) => (s as unknown as { value: string }).value), 'wasm', 'a link asking for webgpu falls back to the default here');
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await plain.close();
  }
});
