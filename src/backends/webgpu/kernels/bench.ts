import type { GpuExecutor } from '../executor.js';
import { matmul, setLargeTilesFrom } from './matmul.js';

/**
 * Matmul throughput on a device: the hook behind bench-kernels.ts, and for `gradpath bench
 * matmul --backend webgpu`. Each measurement records `reps` matmuls into one batch (what a
 * training step does) and times from the first record to the device reporting them done.
 */

export type TileChoice = 'auto' | '64x64' | '128x128';

export interface MatmulRate { size: number; tiles: TileChoice; transB: boolean; reps: number; seconds: number; gflops: number }

/** Times size^3 matmuls (A (size, size) @ B or B^T); inputs are filled once with small values. */
export async function benchMatmul(ex: GpuExecutor, size: number, tiles: TileChoice = 'auto', transB = false, minSeconds = 0.5): Promise<MatmulRate> {
  const n = size * size;
  const ids = [ex.unusedId(), ex.unusedId(), ex.unusedId()];
  for (const id of ids) ex.createBuffer(id, n);
  const fill = new Float32Array(n);
  for (let i = 0; i < n; i++) fill[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  ex.write(ids[0], 0, fill);
  ex.write(ids[1], 0, fill);
  const [a, b, c] = ids.map((buffer) => ({ buffer, offset: 0, length: n }));
  const old = setLargeTilesFrom(0);
  setLargeTilesFrom(tiles === 'auto' ? old : tiles === '64x64' ? Infinity : 0);
  try {
    const run = async (reps: number): Promise<number> => {
      const t0 = performance.now();
      for (let r = 0; r < reps; r++) matmul(ex, a, b, c, 1, size, size, size, false, transB, 0, 0);
      await ex.finish();
      return (performance.now() - t0) / 1000;
    };
    await run(1); // compile and warm up
    let reps = 1, seconds = await run(1);
    // grow the batch until it runs long enough to time (a batch of tiny matmuls measures submission, not the kernel)
    while (seconds < minSeconds && reps < 4096) {
      reps = Math.min(4096, Math.max(reps * 2, Math.ceil((reps * minSeconds) / Math.max(seconds, 1e-4))));
      seconds = await run(reps);
    }
    return { size, tiles, transB, reps, seconds, gflops: (2 * size ** 3 * reps) / seconds / 1e9 };
  } finally {
    setLargeTilesFrom(old);
    for (const id of ids) ex.destroyBuffer(id);
  }
}
