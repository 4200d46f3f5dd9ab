/**
 * What the lab's browser tests share: finding Chromium (Debian's package; no browser download),
 * making sure the lab is built, starting it on a free port, and a page that records console errors.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { LAB_DIR, startLabServer, type LabServer } from '../../src/cli/lab.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Screenshots of every page, kept as test output (docs/img/lab/ holds copies of a few). */
export const SHOTS = join(ROOT, 'dist', 'test-output', 'lab');

const CANDIDATES = [process.env.GRADPATH_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The Chromium to drive, or null. */
export function chromiumPath(): string | null {
  return CANDIDATES.find((p): p is string => !!p && existsSync(p)) ?? null;
}

/** Why the browser tests cannot run here, or null when they can. */
export async function browserSkip(): Promise<string | null> {
  if (!chromiumPath()) return 'no Chromium (apt-get install chromium, or set GRADPATH_CHROMIUM); .ci/run installs it';
  try {
    await import('playwright-core');
  } catch {
    return 'playwright-core is not installed (npm install)';
  }
  return null;
}

/** Builds the lab when it is not built yet (`npm test` builds it first; a bare `node --test` may not have). */
export function ensureLabBuilt(): void {
  if (existsSync(join(LAB_DIR, 'index.html'))) return;
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(ROOT, 'lab', 'vite.config.ts'), '--logLevel', 'error'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the lab failed:\n${r.stdout}${r.stderr}`);
}

export interface Lab {
  server: LabServer;
  browser: Browser;
  close(): Promise<void>;
}

export async function startLab(runRoots: string[] = [], isolate = true, chromiumArgs = ['--no-sandbox', '--disable-dev-shm-usage']): Promise<Lab> {
  ensureLabBuilt();
  mkdirSync(SHOTS, { recursive: true });
  const { chromium } = await import('playwright-core');
  const server = await startLabServer({ port: 0, runRoots, isolate });
  const browser = await chromium.launch({ executablePath: chromiumPath()!, args: chromiumArgs });
  return { server, browser, close: async () => (await browser.close(), await server.close()) };
}

/** A page whose console errors and uncaught exceptions are collected in `errors`. */
export async function openPage(lab: Lab, path: string, viewport = { width: 1200, height: 900 }): Promise<{ page: Page; errors: string[] }> {
  const page = await lab.browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('worker', (w) => w.on('console', (m) => {
    if (m.type() === 'error') errors.push(`worker: ${m.text()}`);
  }));
  await page.goto(lab.server.url + path, { waitUntil: 'load' });
  return { page, errors };
}

/** Clicks the page's Train button and waits until the run is done; returns the first and last loss. */
export async function trainToEnd(page: Page, timeout = 60_000, status = '#status'): Promise<{ first: number; last: number; state: string }> {
  await page.locator(`${status}`).locator('xpath=..').getByRole('button', { name: /^(Train|Time it|Evolve)/ }).click();
  await waitFor(page, `['done', 'error', 'stopped'].includes(document.querySelector('${status}')?.dataset.state)`, timeout);
  const d = await data(page, status);
  return { first: Number(d.firstLoss), last: Number(d.lastLoss), state: `${d.state}: ${await page.textContent(status)}` };
}

/** An element's data-* attributes (the pages report their state there). */
export function data(page: Page, selector: string): Promise<Record<string, string>> {
  return page.$eval(selector, (el) => ({ ...(el as unknown as { dataset: Record<string, string> }).dataset }));
}

/** Waits until a JavaScript expression, evaluated in the page, is true. */
export async function waitFor(page: Page, expression: string, timeout = 30_000): Promise<void> {
  await page.waitForFunction(expression, undefined, { timeout });
}

/** Shrinks the page to a phone's screen (390 x 844) and checks nothing needs sideways scrolling. */
export async function fitsPhone(page: Page): Promise<number> {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(100);
  return (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
}

/** Chromium's WebGPU on SwiftShader's Vulkan, whatever GPU the machine has: the adapter the Node tests get. */
export const WEBGPU_CHROMIUM_ARGS = ['--no-sandbox', '--disable-dev-shm-usage', '--enable-unsafe-webgpu', '--enable-features=Vulkan',
  '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader', '--disable-vulkan-surface'];
