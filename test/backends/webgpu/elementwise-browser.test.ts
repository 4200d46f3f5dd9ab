/**
 * The elementwise WebGPU kernels in Chromium (Debian's, headless, WebGPU on SwiftShader where there is no GPU),
 * driven by playwright-core: elementwise-browser-checks.ts runs on the page's navigator.gpu against the
 * reference backend. Skips with the reason without Chromium, playwright-core or an adapter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import { browserSkip, chromiumPath, ROOT } from '../../lab/browser.js';

/** Serves the compiled tree (dist/) so the page imports the same modules Node runs. */
function serveDist(): Promise<{ server: Server; url: string }> {
  const dist = join(ROOT, 'dist');
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (path === '/') {
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><title>webgpu kernels</title>');
      return;
    }
    readFile(join(dist, path)).then((body) => {
      res.setHeader('content-type', path.endsWith('.js') ? 'text/javascript' : 'application/octet-stream');
      res.end(body);
    }, () => {
      res.statusCode = 404;
      res.end();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    resolve({ server, url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}` });
  }));
}

test('the elementwise WebGPU kernels match the reference in Chromium', async (t) => {
  const why = await browserSkip();
  if (why) {
    t.skip(why);
    return;
  }
  const { chromium } = await import('playwright-core');
  const { server, url } = await serveDist();
  // SwiftShader's Vulkan driver inside Chromium gives an adapter on machines without a GPU
  const browser = await chromium.launch({
    executablePath: chromiumPath()!,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader'],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}/`); // http://127.0.0.1 is a secure context: navigator.gpu exists there
    const result = await page.evaluate(async (src) => {
      const m = await import(src);
      return m.runKernelChecks();
    }, `${url}/test/backends/webgpu/elementwise-browser-checks.js`);
    if ('skip' in result) {
      console.log(`# webgpu browser test skipped: ${result.skip}`);
      t.skip(result.skip);
      return;
    }
    assert.deepEqual(errors, []);
    assert.ok(result.checks.length >= 9, `${result.checks.length} checks ran`);
    for (const c of result.checks) assert.ok(c.error <= c.tolerance, `${c.name} on ${result.adapter}: error ${c.error} (tolerance ${c.tolerance})`);
  } finally {
    await browser.close();
    server.close();
  }
});
