/**
 * Device arrays and comparisons for the kernel tests, free of Node APIs so the same code runs in
 * a browser page (browser-checks.ts): arrays placed at an offset inside larger buffers (so a
 * kernel that ignores `offset` fails), outputs pre-filled with NaN (so an element a kernel forgets
 * to write fails), and comparison under a stated tolerance.
 */
import type { GpuExecutor } from '../../../src/backends/webgpu/executor.js';
import type { GpuArray } from '../../../src/backends/webgpu/kernel-context.js';

/** A deterministic uniform generator on [-1, 1), so failures reproduce. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

export function randArray(n: number, r: () => number, scale = 1): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = r() * scale;
  return x;
}

/** Arrays on the device for one test; release() returns their buffers. */
export class GpuArrays {
  private static nextId = 1;
  private readonly ids: number[] = [];
  constructor(readonly ex: GpuExecutor, readonly pad = 5) {}

  /** `data` on the device, `pad` elements into a buffer that holds garbage around it. */
  upload(data: Float32Array | Int32Array): GpuArray {
    const id = GpuArrays.nextId++;
    const p = this.pad;
    this.ex.createBuffer(id, data.length + 2 * p);
    const fill = data instanceof Int32Array ? new Int32Array(data.length + 2 * p).fill(-7) : new Float32Array(data.length + 2 * p).fill(-7.5);
    fill.set(data, p);
    this.ex.write(id, 0, fill);
    this.ids.push(id);
    return { buffer: id, offset: p, length: data.length };
  }

  /** n elements of NaN (f32) at an offset: an output, so an unwritten element shows. */
  output(n: number): GpuArray {
    return this.upload(new Float32Array(n).fill(NaN));
  }

  read(a: GpuArray): Promise<Float32Array> {
    return this.ex.read(a);
  }

  readInt(a: GpuArray): Promise<Int32Array> {
    return this.ex.read(a, new Int32Array(a.length));
  }

  /** The elements around `a` in its buffer are still the fill value (no write outside the array). */
  async assertUntouchedAround(a: GpuArray): Promise<void> {
    const p = this.pad;
    const whole = await this.ex.read({ buffer: a.buffer, offset: 0, length: a.length + 2 * p });
    for (let i = 0; i < p; i++) {
      if (whole[i] !== -7.5) throw new Error(`element ${i - p} before the array was overwritten`);
      if (whole[p + a.length + i] !== -7.5) throw new Error(`element ${i} after the array was overwritten`);
    }
  }

  release(): void {
    this.ex.flush();
    for (const id of this.ids) this.ex.destroyBuffer(id);
    this.ids.length = 0;
  }
}

/**
 * |actual - expected| <= atol + rtol * |expected| everywhere (NaN only where expected is NaN);
 * the message names the first bad index and the largest error.
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number, what: string): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length}, expected ${expected.length}`);
  let worst = 0, worstAt = -1, firstBad = -1;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (e === a) continue; // infinities
    const err = Math.abs(a - e);
    const ok = err <= atol + rtol * Math.abs(e);
    if (!ok && firstBad < 0) firstBad = i;
    if (!(err <= worst)) { worst = err; worstAt = i; }
  }
  if (firstBad >= 0) {
    throw new Error(`${what}: element ${firstBad} is ${actual[firstBad]}, expected ${expected[firstBad]} (largest error ${worst} at ${worstAt}; atol ${atol}, rtol ${rtol})`);
  }
}
