/**
 * Runs in a browser's Web Worker (engine-browser.test.ts bundles it with the lab's Vite settings):
 * starts the engine's webgpu backend the browser's way (browser.ts, its device in a nested worker)
 * and runs the tiny-GPT check of tiny-gpt-check.ts against the reference, as engine.test.ts does
 * in Node. Posts one message: the differences found, or why the backend could not start.
 */
import { referenceBackend } from '../../../src/backends/reference/index.js';
import { startWebGpuInBrowser, type DeviceWorker } from '../../../src/backends/webgpu/browser.js';
import { tinyGptDifferences, trainTinyGpt } from './tiny-gpt-check.js';

/** What the page receives. */
export type EngineBrowserResult =
  | { unavailable: string }
  | { failed: string }
  | { device: string; differences: string[]; losses: number[]; referenceLosses: number[]; webgpuMs: number };

declare const Worker: new (url: URL, options: { type: 'module' }) => DeviceWorker;
const post = (m: EngineBrowserResult) => (globalThis as unknown as { postMessage(m: unknown): void }).postMessage(m);

const STEPS = 3;
async function check(): Promise<EngineBrowserResult> {
  let gpu;
  try {
    // the URL form Vite bundles as a worker (the lab uses its `?worker` import instead)
    gpu = await startWebGpuInBrowser(() => new Worker(new URL('../../../src/backends/webgpu/browser-device.ts', import.meta.url), { type: 'module' }));
  } catch (e) {
    return { unavailable: (e as Error).message };
  }
  try {
    const want = trainTinyGpt(referenceBackend, STEPS);
    const t0 = performance.now();
    const got = trainTinyGpt(gpu, STEPS);
    const webgpuMs = performance.now() - t0;
    return { device: gpu.bridge.description, differences: tinyGptDifferences(want, got), losses: got.losses, referenceLosses: want.losses, webgpuMs };
  } catch (e) {
    return { failed: (e as Error).stack ?? String(e) };
  }
}
// `node --test dist/test/` loads every file under test/: only a browser's worker runs the check
if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined') post(await check());
