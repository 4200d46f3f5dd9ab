/**
 * A helper thread of the browser's wasm backend (backend.ts): the browser twin of
 * src/backends/wasm/worker.ts. It gets the compiled modules and the shared memory in one
 * message, counts itself ready, then runs its share of every job the training worker starts
 * (the same runShare over the same control block) and counts itself done. Atomics.wait blocks
 * it between jobs, which a worker may do.
 */
import { CTRL_INTS, GEN, PENDING, READY, START_FAILED, ERROR, ctrlFloats, runShare, waitChange, type AdamKernel, type ElementwiseKernels, type Sgemm } from '../../../src/backends/wasm/shared.js';

interface Start { module: WebAssembly.Module; adamModule: WebAssembly.Module; eltModule: WebAssembly.Module; memory: WebAssembly.Memory; ctrl: SharedArrayBuffer; index: number; gen: number }

self.onmessage = (e: MessageEvent<Start>) => {
  const { module, adamModule, eltModule, memory, ctrl, index, gen: startGen } = e.data;
  const p = new Int32Array(ctrl, 0, CTRL_INTS);
  const f = ctrlFloats(ctrl);
  let kernels;
  try {
    const exports = (m: WebAssembly.Module) => new WebAssembly.Instance(m, { env: { memory } }).exports;
    kernels = { sgemm: exports(module).sgemm as unknown as Sgemm, adam: exports(adamModule).adam as unknown as AdamKernel, elementwise: exports(eltModule) as unknown as ElementwiseKernels };
  } catch (err) {
    Atomics.store(p, START_FAILED, 1);
    Atomics.notify(p, READY);
    throw err;
  }
  Atomics.add(p, READY, 1);
  Atomics.notify(p, READY);
  self.postMessage('ready');
  for (let gen = startGen; ;) {
    gen = waitChange(p, GEN, gen);
    try {
      runShare(kernels, p, f, index);
    } catch {
      Atomics.store(p, ERROR, 1);
    }
    if (Atomics.sub(p, PENDING, 1) === 1) Atomics.notify(p, PENDING);
  }
};
