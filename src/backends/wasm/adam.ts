/**
 * The wasm Adam step: same signature as Backend.adam. Parameters, gradients and moments live
 * in ordinary Float32Arrays, so chunks small enough to stay in cache are copied into the wasm
 * memory, updated there with SIMD (kernels/adam.ts), and copied back. The JS loop is bound by
 * float64 sqrt and division; four float32 lanes at a time leave mostly the copies.
 */
import type { AdamStep } from '../backend.js';
import { scratch } from './matmul.js';

/** Elements per chunk: 4 arrays x 64K floats = 1 MiB, warm in L2 between copy-in, kernel and copy-out. */
const CHUNK = 65536;

export function adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, s: AdamStep): void {
  const n = p.length;
  const c = Math.min(CHUNK, n);
  if (c === 0) return;
  const { state, base, f32 } = scratch(16 * c);
  const pp = base, gp = base + 4 * c, mp = base + 8 * c, vp = base + 12 * c;
  for (let i = 0; i < n; i += c) {
    const len = Math.min(c, n - i), end = i + len;
    f32.set(p.subarray(i, end), pp >> 2);
    f32.set(g.subarray(i, end), gp >> 2);
    f32.set(m.subarray(i, end), mp >> 2);
    f32.set(v.subarray(i, end), vp >> 2);
    state.adam(pp, gp, mp, vp, len, s.beta1, s.beta2, 1 - s.beta1, 1 - s.beta2, s.stepSize, s.invSqrtC2, s.eps, s.decay, s.l2);
    p.set(f32.subarray(pp >> 2, (pp >> 2) + len), i);
    m.set(f32.subarray(mp >> 2, (mp >> 2) + len), i);
    v.set(f32.subarray(vp >> 2, (vp >> 2) + len), i);
  }
}
