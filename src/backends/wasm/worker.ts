/**
 * A matmul worker: instantiates the kernel module over the shared memory, then loops forever
 * waiting for the generation counter to move, claims units of the job, and counts itself done.
 * The pool unref()s it, so it never keeps the process alive.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';
import { ERROR, GEN, PENDING, runUnits, waitChange, type Sgemm } from './shared.js';
import { WA, type WasmMemory, type WasmModule } from './wasm-api.js';

// Must precede instantiation, as in the main thread (a no-op where relaxed SIMD is standard).
setFlagsFromString('--experimental-wasm-relaxed-simd');

const { module, memory, ctrl, index } = workerData as {
  module: WasmModule; memory: WasmMemory; ctrl: SharedArrayBuffer; index: number;
};
const instance = new WA.Instance(module, { env: { memory } });
const sgemm = instance.exports.sgemm as Sgemm;
const p = new Int32Array(ctrl);
let gen = Atomics.load(p, GEN);
parentPort!.postMessage('ready');

for (;;) {
  gen = waitChange(p, GEN, gen);
  try {
    runUnits(sgemm, p, index);
  } catch {
    Atomics.store(p, ERROR, 1);
  }
  if (Atomics.sub(p, PENDING, 1) === 1) Atomics.notify(p, PENDING);
}
