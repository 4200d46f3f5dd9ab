/**
 * The whole webgpu backend (device thread, bridge, residency) for tests, or a skip with the
 * reason printed where no WebGPU adapter can be had.
 */
import type { TestContext } from 'node:test';
import { startWebGpu, webGpuAvailable, type WebGpuBackend } from '../../../src/backends/webgpu/index.js';

let reported = false;

/** The backend, or null after marking the test skipped with the reason (printed once per process). */
export function gpuBackendOrSkip(t: TestContext): WebGpuBackend | null {
  const got = webGpuAvailable();
  if (!got.ok) {
    if (!reported) console.log(`# webgpu backend tests skipped: ${got.reason}`);
    reported = true;
    t.skip(got.reason);
    return null;
  }
  return startWebGpu();
}
