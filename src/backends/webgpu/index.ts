/**
 * The WebGPU backend in Node: the device lives in a worker thread (worker.ts, which loads the
 * optional `webgpu` package, Dawn), this thread talks to it through the bridge. Started on first
 * use, once per process; where there is no adapter, a GradpathError saying why. In a browser,
 * browser.ts starts the same bridge and device side in Web Workers.
 */
import { Worker } from 'node:worker_threads';
import { GradpathError } from '../../util/errors.js';
import { prepareDawnEnvironment } from './dawn-env.js';
import { DeviceBridge, awaitHello, sharedBlocks } from './bridge.js';
import { webgpuBackend, type WebGpuBackend } from './backend.js';

export type { WebGpuBackend } from './backend.js';

/** How long a device may take to appear (SwiftShader starts in about a second; a busy machine is slower). */
const START_TIMEOUT_MS = 120_000;

let started: WebGpuBackend | GradpathError | null = null;

/** The webgpu backend, its device started on first call; throws (one line) where there is no WebGPU adapter. */
export function startWebGpu(): WebGpuBackend {
  if (started === null) started = start();
  if (started instanceof GradpathError) throw started;
  return started;
}

/** Whether a WebGPU device can be had here (starting it if need be); the reason when not. */
export function webGpuAvailable(): { ok: true } | { ok: false; reason: string } {
  try {
    startWebGpu();
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}

function start(): WebGpuBackend | GradpathError {
  const { ctrl, data } = sharedBlocks();
  prepareDawnEnvironment(); // here: a worker's process.env is a copy that Vulkan's loader and drivers would not see
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: { ctrl, data }, execArgv: [] });
  worker.unref();
  const hello = awaitHello(ctrl, data, START_TIMEOUT_MS);
  if (!hello.ok) {
    void worker.terminate();
    return new GradpathError(`webgpu: ${hello.reason}`);
  }
  const bridge = new DeviceBridge((batch) => worker.postMessage(batch), ctrl, data, hello);
  process.once('exit', () => bridge.close()); // the device thread idle before Node terminates it
  return webgpuBackend(bridge);
}
