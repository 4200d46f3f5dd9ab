/**
 * The Node worker thread that owns the GPUDevice (started by index.ts). In a browser the same
 * serveDevice runs in a Web Worker (browser-device.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serveDevice } from './device-thread.js';
import type { Command } from './protocol.js';

/**
 * Dawn's GPU object must outlive the devices it made: once it is garbage-collected, the next
 * mapAsync crashes the process. So this thread makes it, keeps it, and offers it as navigator.gpu,
 * where adapter.ts looks first. Where the package cannot load, adapter.ts says why. The Vulkan
 * environment (driver, runtime directory) was set by index.ts on the main thread (dawn-env.ts).
 */
let pinned: unknown = null;
async function pinDawn(): Promise<void> {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav?.gpu) return;
  try {
    const name = 'webgpu';
    const mod = (await import(name)) as { create(options: string[]): unknown };
    pinned = mod.create([]);
  } catch {
    return;
  }
  if (nav) Object.defineProperty(nav, 'gpu', { value: pinned, configurable: true });
  else (globalThis as { navigator?: unknown }).navigator = { gpu: pinned };
}

const { ctrl, data } = workerData as { ctrl: SharedArrayBuffer; data: SharedArrayBuffer };
await pinDawn();
void serveDevice((handler) => parentPort!.on('message', (batch: Command[]) => handler(batch)), ctrl, data);
