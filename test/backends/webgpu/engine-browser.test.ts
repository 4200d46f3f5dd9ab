/**
 * The engine on the webgpu backend in a browser, started as the lab starts it: headless Chromium
 * (WebGPU on SwiftShader) runs engine-browser-worker.ts in a Web Worker, whose device lives in a
 * nested worker (src/backends/webgpu/browser.ts); a tiny GPT trains 3 AdamW steps with clipping
 * and must equal the reference backend's losses and parameters (tiny-gpt-check.ts, the check
 * engine.test.ts runs in Node). The worker is bundled with the lab's Vite settings (its node:
 * stubs) and served cross-origin isolated; served without isolation, it must refuse in one line.
 * Skips with the reason without Chromium or an adapter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { browserSkip, chromiumPath, ROOT, WEBGPU_CHROMIUM_ARGS } from '../../lab/browser.js';
import { startLabServer } from '../../../src/cli/lab.js';
import type { Browser } from 'playwright-core';
import type { EngineBrowserResult } from './engine-browser-worker.js';

const OUT = join(ROOT, 'dist', 'test-output', 'engine-browser');
const skip = (await browserSkip()) ?? false;
if (skip) console.log(`# webgpu engine browser test skipped: ${skip}`);

/** Bundles the worker (and the device worker it starts) into OUT as the lab's build would. */
async function bundle(): Promise<void> {
  const vite = await import('vite');
  const loaded = await vite.loadConfigFromFile({ command: 'build', mode: 'production' }, join(ROOT, 'lab', 'vite.config.ts'), ROOT, 'silent');
  if (!loaded) throw new Error('lab/vite.config.ts could not be loaded');
  await vite.build({
    configFile: false, root: ROOT, base: './', logLevel: 'error', publicDir: false,
    resolve: loaded.config.resolve, worker: loaded.config.worker,
    build: {
      outDir: OUT, emptyOutDir: true, target: 'es2022', minify: false, reportCompressedSize: false,
      rollupOptions: { input: { 'engine-check': join(ROOT, 'test', 'backends', 'webgpu', 'engine-browser-worker.ts') }, output: { entryFileNames: '[name].js' } },
    },
  });
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'index.html'), '<!doctype html><title>the engine on webgpu in a worker</title>');
}

/** Runs the bundled worker in a page of `server` and returns what it posts. */
async function runWorker(browser: Browser, url: string): Promise<EngineBrowserResult> {
  const page = await browser.newPage();
  try {
    await page.goto(url);
    return (await page.evaluate(`new Promise((done) => {
      const w = new Worker('./engine-check.js', { type: 'module' });
      w.onmessage = (e) => done(e.data);
      w.onerror = (e) => done({ failed: 'the worker failed: ' + e.message });
    })`)) as EngineBrowserResult;
  } finally {
    await page.close();
  }
}

test('a tiny GPT trains on webgpu in a browser worker with the reference backend\'s losses and parameters', { skip, timeout: 300_000 }, async (t) => {
  const t0 = performance.now();
  await bundle();
  const bundled = performance.now();
  const server = await startLabServer({ port: 0, labDir: OUT }); // cross-origin isolated, as `gradpath lab` serves
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: chromiumPath()!, args: WEBGPU_CHROMIUM_ARGS });
  try {
    const result = await runWorker(browser, server.url);
    if ('unavailable' in result) {
      // only a missing adapter or WebGPU skips; any other start-up failure is ours
      assert.match(result.unavailable, /no WebGPU adapter|navigator\.gpu is missing/, result.unavailable);
      console.log(`# webgpu engine browser test skipped: ${result.unavailable}`);
      t.skip(result.unavailable);
      return;
    }
    assert.ok(!('failed' in result), 'failed' in result ? result.failed : '');
    console.log(`webgpu in a browser worker on ${result.device}: bundle ${((bundled - t0) / 1000).toFixed(1)} s, 3 webgpu steps ${(result.webgpuMs / 1000).toFixed(1)} s (pipelines compiled on first use), losses ${result.losses.map((l) => l.toFixed(5)).join(', ')}`);
    assert.deepEqual(result.differences, []);
    // a host without the isolation headers: one line that says what is missing and how to serve it
    const plain = await startLabServer({ port: 0, labDir: OUT, isolate: false });
    try {
      const refused = await runWorker(browser, plain.url);
      assert.ok('unavailable' in refused, JSON.stringify(refused));
      assert.match(refused.unavailable, /^webgpu: the page is not cross-origin isolated.*Cross-Origin-Embedder-Policy: require-corp/);
    } finally {
      await plain.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
});
