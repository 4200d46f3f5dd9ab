import type { WebGpuBackend } from '../../backends/webgpu/index.js';

/**
 * The webgpu matmul as training sees it: through the bridge to the device thread, operands already
 * on the device. Each measurement records `reps` matmuls into one batch and waits for the device
 * (a fence), so it times the kernels, not one submission each; the median over `runs`.
 */
export function timeWebGpuMatmul(gpu: WebGpuBackend, m: number, k: number, n: number, runs: number, reps: number): number {
  const host = (len: number): Float32Array => Float32Array.from({ length: len }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  // an identity pass puts the operands on the device (storage.ts), as a step's activations are
  const a = new Float32Array(m * k), b = new Float32Array(k * n), out = new Float32Array(m * n);
  gpu.unary('neg', host(m * k), a);
  gpu.unary('neg', host(k * n), b);
  gpu.matmul(a, b, out, 1, m, k, n, false, false, 0, 0); // compiles the pipeline
  gpu.fence();
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) gpu.matmul(a, b, out, 1, m, k, n, false, false, 0, 0);
    gpu.fence();
    rates.push((2 * m * k * n * reps) / ((performance.now() - t0) * 1e6));
  }
  rates.sort((x, y) => x - y);
  return rates[rates.length >> 1];
}

/** Whether the adapter is a software rasteriser (SwiftShader, lavapipe): correct, and far too slow for speed figures. */
export function softwareAdapter(gpu: WebGpuBackend): boolean {
  return /swiftshader|llvmpipe|lavapipe|software/i.test(gpu.bridge.description);
}
