/**
 * The WGSL kernels in a browser: headless Chromium with WebGPU on its SwiftShader adapter loads
 * the compiled modules (adapter through navigator.gpu, executor, kernels, the reference backend)
 * from a static server over dist/ and runs browser-checks.ts (kernels/) and
 * elementwise-browser-checks.ts (elementwise/) on one device, every kernel against the reference
 * in the page: one browser start for both. Skipped with the reason where Chromium, playwright-core or a WebGPU adapter is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';
import { browserSkip, chromiumPath } from '../../lab/browser.js';

const DIST = fileURLToPath(new URL('../../../', import.meta.url)); // dist/ (this file is dist/test/backends/webgpu/)
const skip = (await browserSkip()) ?? false;
if (skip) console.log(`# webgpu browser test skipped: ${skip}`);

// WebGPU on SwiftShader's Vulkan, whatever GPU the machine has: the same adapter as the Node tests
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-dev-shm-usage', '--enable-unsafe-webgpu', '--enable-features=Vulkan',
  '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader', '--disable-vulkan-surface'];

test('every kernel, elementwise ones too, matches the reference in Chromium', { skip, timeout: 180_000 }, async (t) => {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]));
    if (path === '/') { res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>webgpu kernels</title>'); return; }
    if (!path.endsWith('.js') || path.includes('..')) { res.writeHead(404).end(); return; }
    try {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(await readFile(join(DIST, path)));
    } catch {
      res.writeHead(404).end();
    }
  }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: chromiumPath()!, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    // runs in the page: the module paths are URLs on the server above
    const result = (await page.evaluate(async () => {
      const load = (p: string): Promise<any> => import(p);
      const { requestGpuDevice } = await load('/src/backends/webgpu/adapter.js');
      const got = await requestGpuDevice();
      if (!got.device) return { skip: got.reason as string };
      const { GpuExecutor } = await load('/src/backends/webgpu/executor.js');
      const { runChecks } = await load('/test/backends/webgpu/browser-checks.js');
      const { runElementwiseChecks } = await load('/test/backends/webgpu/elementwise-browser-checks.js');
      const ex = new GpuExecutor(got.device);
      try {
        const passed = (await runChecks(ex)) as string[];
        const elementwise = (await runElementwiseChecks(ex)) as { name: string; error: number; tolerance: number }[];
        return { device: got.description as string, passed, elementwise };
      } catch (e) {
        return { error: String((e as Error).message) };
      } finally {
        ex.destroy();
      }
    })) as { skip?: string; device?: string; passed?: string[]; elementwise?: { name: string; error: number; tolerance: number }[]; error?: string };
    if (result.skip) { t.skip(`no WebGPU adapter in Chromium: ${result.skip}`); return; }
    assert.equal(result.error, undefined, result.error);
    assert.ok(result.passed && result.passed.length >= 20, `checks run: ${result.passed?.join(', ')}`);
    assert.ok(result.elementwise && result.elementwise.length >= 11, `${result.elementwise?.length} elementwise checks ran`);
    for (const c of result.elementwise) assert.ok(c.error <= c.tolerance, `${c.name} on ${result.device}: error ${c.error} (tolerance ${c.tolerance})`);
  } finally {
    await browser.close();
    server.close();
  }
});
