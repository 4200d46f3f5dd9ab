/**
 * A wasm worker: a Node thread that runs shared.ts's serveJobs (instantiate the kernel modules
 * over the shared memory, count itself ready, run its share of every job). The pool unref()s
 * it, so it never keeps the process alive.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';
import { serveJobs, type KernelModules } from './shared.js';
import type { WasmMemory } from './wasm-api.js';

// Must precede instantiation, as in the main thread (a no-op where relaxed SIMD is standard).
setFlagsFromString('--experimental-wasm-relaxed-simd');

const { memory, ctrl, index, gen, ...mods } = workerData as KernelModules & { memory: WasmMemory; ctrl: SharedArrayBuffer; index: number; gen: number };
serveJobs(mods, memory, ctrl, index, gen, () => parentPort!.postMessage('ready'));
