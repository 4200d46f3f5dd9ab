/**
 * Running WGSL kernels in Node tests: one device per test process (SwiftShader where there is no
 * GPU), released when the tests end; the arrays and comparisons are gpu-arrays.ts's.
 */
import { after } from 'node:test';
import { requestGpuDevice } from '../../../src/backends/webgpu/adapter.js';
import { GpuExecutor } from '../../../src/backends/webgpu/executor.js';

export { GpuArrays, assertClose, randArray, rng } from './gpu-arrays.js';

let shared: Promise<GpuExecutor | string> | null = null;

/** The process's executor, or the reason there is none (printed once, for the skip). */
export async function gpuOrReason(): Promise<GpuExecutor | string> {
  shared ??= requestGpuDevice().then((r) => {
    if (!r.device) {
      console.log(`# webgpu kernel tests skipped: ${r.reason}`);
      return r.reason;
    }
    const ex = new GpuExecutor(r.device);
    after(() => ex.destroy()); // releases Dawn, so the process can exit
    return ex;
  });
  return shared;
}
