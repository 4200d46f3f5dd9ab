/**
 * Running WGSL kernels in Node tests: one device per test process (SwiftShader where there is no
 * GPU), released when the tests end; the arrays and comparisons are gpu-arrays.ts's.
 */
import { after } from 'node:test';
import { requestGpuDevice } from '../../../src/backends/webgpu/adapter.js';
import { GpuExecutor } from '../../../src/backends/webgpu/executor.js';
import type { KernelContext } from '../../../src/backends/webgpu/kernel-context.js';

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

/**
 * The executor behind a context that claims at most `max` workgroups per dimension (and refuses
 * dispatches past it), so kernels take their 2-D grid and chunked paths at sizes a software
 * adapter runs quickly.
 */
export function limitedContext(ex: GpuExecutor, max: number): KernelContext {
  return {
    limits: { ...ex.limits, maxComputeWorkgroupsPerDimension: max },
    dispatch: (wgsl, arrays, uniforms, workgroups) => {
      for (const w of workgroups) if ((w ?? 1) > max) throw new Error(`dispatch of ${workgroups.join(' x ')} workgroups past the limit ${max}`);
      ex.dispatch(wgsl, arrays, uniforms, workgroups);
    },
    scratch: (n) => ex.scratch(n),
  };
}
