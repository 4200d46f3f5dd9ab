/**
 * A helper thread of the browser's wasm backend (backend.ts): the browser twin of
 * src/backends/wasm/worker.ts. It gets the compiled modules and the shared memory in one
 * message, then runs the same serveJobs over the same control block (Atomics.wait blocks it
 * between jobs, which a worker may do).
 */
import { serveJobs, type KernelModules } from '../../../src/backends/wasm/shared.js';
import type { WasmMemory } from '../../../src/backends/wasm/wasm-api.js';

type Start = KernelModules & { memory: WasmMemory; ctrl: SharedArrayBuffer; index: number; gen: number };

self.onmessage = (e: MessageEvent<Start>) => {
  const { memory, ctrl, index, gen, ...mods } = e.data;
  serveJobs(mods, memory, ctrl, index, gen, () => self.postMessage('ready'));
};
