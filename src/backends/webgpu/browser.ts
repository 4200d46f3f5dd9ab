/**
 * The WebGPU backend in a browser. The engine runs in a Web Worker (the lab's training worker),
 * where Atomics.wait may block; the device lives in a nested dedicated Worker (browser-device.ts)
 * that gets its adapter from navigator.gpu. Bridge, protocol and device side are the ones Node
 * uses (index.ts, worker.ts): only the start-up differs. The caller makes the device worker, since
 * each bundler spells a worker's URL its own way (the lab: Vite's `?worker` import).
 */
import { GradpathError } from '../../util/errors.js';
import { DeviceBridge, awaitHello, sharedBlocks } from './bridge.js';
import { webgpuBackend, type WebGpuBackend } from './backend.js';
import type { Command } from './protocol.js';

export type { WebGpuBackend } from './backend.js';

/** The little of a browser's Worker this file uses (src/ compiles without the DOM library; methods, so a DOM Worker fits). */
export interface DeviceWorker {
  postMessage(message: unknown): void;
  terminate(): void;
  addEventListener(type: 'message', listener: (e: { data: unknown }) => void): void;
  addEventListener(type: 'error', listener: (e: { message?: string; preventDefault(): void }) => void): void;
}

/** What browser-device.ts receives first: the blocks it answers through. */
export interface DeviceStart {
  ctrl: SharedArrayBuffer;
  data: SharedArrayBuffer;
}

/** How long the device may take to appear (SwiftShader in a loaded headless Chromium takes seconds). */
const START_TIMEOUT_MS = 120_000;

interface BrowserGlobals {
  crossOriginIsolated?: boolean;
  navigator?: { gpu?: unknown };
  document?: unknown;
}

/** Why the engine cannot use WebGPU in this scope, or null when it may try. */
function browserWebGpuProblem(): string | null {
  const g = globalThis as BrowserGlobals;
  if (g.document !== undefined) return 'webgpu: the engine must run in a Web Worker (a page\'s main thread may not wait for the GPU with Atomics.wait)';
  if (!g.navigator?.gpu) return 'webgpu: this browser has no WebGPU (navigator.gpu is missing); use a browser with WebGPU, or the wasm backend';
  if (g.crossOriginIsolated !== true || typeof SharedArrayBuffer === 'undefined') {
    return 'webgpu: the page is not cross-origin isolated, so there is no SharedArrayBuffer to wait on the GPU with; serve it with '
      + 'the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp (`gradpath lab` does)';
  }
  return null;
}

/**
 * Starts the device in the worker `makeWorker` returns (running browser-device.ts) and resolves
 * with the webgpu backend; rejects with a one-line GradpathError where WebGPU, an adapter or cross-origin
 * isolation is missing. Waits for the device asynchronously: a browser starts a nested worker only
 * while its parent's event loop runs, so blocking here would wait forever.
 */
export async function startWebGpuInBrowser(makeWorker: () => DeviceWorker, timeoutMs = START_TIMEOUT_MS): Promise<WebGpuBackend> {
  const problem = browserWebGpuProblem();
  if (problem) throw new GradpathError(problem);
  const { ctrl, data } = sharedBlocks();
  const worker = makeWorker();
  let starting = true; // errors after the start are the browser's to report
  try {
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(() => fail(new GradpathError(`webgpu: the device worker did not start within ${timeoutMs / 1000} s`)), timeoutMs);
      worker.addEventListener('message', (e) => {
        if (!starting) return;
        clearTimeout(timer);
        const failed = (e.data as { failed?: string }).failed;
        if (failed === undefined) ready();
        else fail(new GradpathError(`webgpu: the device worker failed: ${failed}`));
      });
      worker.addEventListener('error', (e) => {
        if (!starting) return;
        clearTimeout(timer);
        e.preventDefault();
        fail(new GradpathError(`webgpu: the device worker failed to start: ${e.message ?? 'no reason given'}`));
      });
      worker.postMessage({ ctrl, data } satisfies DeviceStart);
    });
  } catch (e) {
    worker.terminate();
    throw e;
  } finally {
    starting = false;
  }
  const hello = awaitHello(ctrl, data, 0); // written before the worker said so
  if (!hello.ok) {
    worker.terminate();
    throw new GradpathError(`webgpu: ${hello.reason}`);
  }
  const bridge = new DeviceBridge((batch: Command[]) => worker.postMessage(batch), ctrl, data, hello);
  return webgpuBackend(bridge);
}
