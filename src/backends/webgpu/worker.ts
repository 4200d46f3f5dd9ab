/**
 * The Node worker thread that owns the GPUDevice (started by index.ts). In a browser the same
 * serveDevice runs in a Web Worker.
 */
import { existsSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { SWIFTSHADER_ICD } from './adapter.js';
import { serveDevice } from './device-thread.js';
import type { Command } from './protocol.js';

/**
 * Dawn's GPU object must outlive the devices it made: once it is garbage-collected, the next
 * mapAsync crashes the process. So this thread makes it, keeps it, and offers it as navigator.gpu,
 * where adapter.ts looks first. Where the package cannot load, adapter.ts says why.
 */
let pinned: unknown = null;
async function pinDawn(): Promise<void> {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav?.gpu) return;
  if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
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
