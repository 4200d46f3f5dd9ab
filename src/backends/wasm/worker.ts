/**
 * A wasm worker: instantiates the kernel modules over the shared memory, counts itself ready,
 * then loops forever waiting for the generation counter to move, runs its share of the job
 * (claiming units of a matmul, an Adam step, GELU or cross-entropy rows), and counts itself
 * done. It starts from the generation its creator saw, so a job posted while it was starting
 * is not missed. The pool unref()s it, so it never keeps the process alive.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';
import { CTRL_INTS, ERROR, GEN, PENDING, READY, START_FAILED, ctrlFloats, runShare, waitChange, type AdamKernel, type ElementwiseKernels, type Sgemm } from './shared.js';
import { WA, type WasmMemory, type WasmModule } from './wasm-api.js';

// Must precede instantiation, as in the main thread (a no-op where relaxed SIMD is standard).
setFlagsFromString('--experimental-wasm-relaxed-simd');

const { module, adamModule, eltModule, memory, ctrl, index, gen: startGen } = workerData as {
  module: WasmModule; adamModule: WasmModule; eltModule: WasmModule; memory: WasmMemory; ctrl: SharedArrayBuffer; index: number; gen: number;
};
const p = new Int32Array(ctrl, 0, CTRL_INTS);
const f = ctrlFloats(ctrl);
const instantiate = () => ({
  sgemm: new WA.Instance(module, { env: { memory } }).exports.sgemm as Sgemm,
  adam: new WA.Instance(adamModule, { env: { memory } }).exports.adam as AdamKernel,
  elementwise: new WA.Instance(eltModule, { env: { memory } }).exports as unknown as ElementwiseKernels,
});
let kernels: ReturnType<typeof instantiate>;
try {
  kernels = instantiate();
} catch (err) {
  // the main thread cannot see this worker's error event while it waits for it: say so in shared memory
  Atomics.store(p, START_FAILED, 1);
  Atomics.notify(p, READY);
  throw err;
}
let gen = startGen;
Atomics.add(p, READY, 1);
Atomics.notify(p, READY);
parentPort!.postMessage('ready');

for (;;) {
  gen = waitChange(p, GEN, gen);
  try {
    runShare(kernels, p, f, index);
  } catch {
    Atomics.store(p, ERROR, 1);
  }
  if (Atomics.sub(p, PENDING, 1) === 1) Atomics.notify(p, PENDING);
}
