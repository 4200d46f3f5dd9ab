/**
 * WebGPU kernel microbenchmark: matmul GFLOP/s per size, tile shape and transpose, next to the
 * reference (CPU) matmul measured in the same run.
 *   node dist/src/backends/webgpu/bench-kernels.js [SIZE ...]     (default 256 1024)
 * On a software adapter (SwiftShader) the numbers only show the kernels run; measure on a GPU.
 */
import { matmul as referenceMatmul } from '../reference/matmul.js';
import { requestGpuDevice } from './adapter.js';
import { GpuExecutor } from './executor.js';
import { benchMatmul, type TileChoice } from './kernels/bench.js';

function referenceGflops(size: number): number {
  if (size > 1024) return NaN; // minutes on one core
  const a = new Float32Array(size * size).fill(0.5), out = new Float32Array(size * size);
  const t0 = performance.now();
  referenceMatmul(a, a, out, 1, size, size, size, false, false, 0, 0);
  return (2 * size ** 3) / ((performance.now() - t0) / 1000) / 1e9;
}

async function main(): Promise<void> {
  const sizes = process.argv.slice(2).map(Number);
  for (const s of sizes) {
    if (!Number.isInteger(s) || s < 1) {
      console.error(`bench-kernels: '${s}' is not a matrix size; pass positive integers, e.g. 256 1024`);
      process.exit(2);
    }
  }
  const got = await requestGpuDevice();
  if (!got.device) {
    console.error(`bench-kernels: ${got.reason}`);
    process.exit(1);
  }
  const ex = new GpuExecutor(got.device);
  console.log(`adapter: ${got.description}`);
  console.log('size  tiles    B^T  reps  seconds  GFLOP/s  reference GFLOP/s (CPU, same run)');
  try {
    for (const size of sizes.length > 0 ? sizes : [256, 1024]) {
      const ref = referenceGflops(size);
      for (const [tiles, transB] of [['auto', false], ['64x64', false], ['128x128', false], ['auto', true]] as [TileChoice, boolean][]) {
        const r = await benchMatmul(ex, size, tiles, transB);
        console.log(`${String(size).padEnd(5)} ${tiles.padEnd(8)} ${transB ? 'yes' : 'no '}  ${String(r.reps).padStart(4)}  ${r.seconds.toFixed(3).padStart(7)}  ${r.gflops.toFixed(2).padStart(7)}  ${ref.toFixed(2)}`);
      }
    }
  } finally {
    ex.destroy();
  }
}

await main();
