/**
 * The wasm Adam step: same signature as Backend.adam. Parameters, gradients and moments live
 * in ordinary Float32Arrays, so chunks small enough to stay in cache are copied into the wasm
 * memory, updated there with SIMD (kernels/adam.ts), and copied back. The JS loop is bound by
 * float64 sqrt and division; four float32 lanes at a time leave mostly the copies.
 */
import type { AdamStep } from '../backend.js';
import { streamChunks } from './chunks.js';

/** Elements per chunk: 4 arrays x 64K floats = 1 MiB, warm in L2 between copy-in, kernel and copy-out. */
const CHUNK = 65536;

export function adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, s: AdamStep): void {
  const arrays = [{ data: p, in: true, out: true }, { data: g, in: true }, { data: m, in: true, out: true }, { data: v, in: true, out: true }];
  streamChunks(p.length, CHUNK, arrays, (state, [pp, gp, mp, vp], len) =>
    state.adam(pp, gp, mp, vp, len, s.beta1, s.beta2, 1 - s.beta1, 1 - s.beta2, s.stepSize, s.invSqrtC2, s.eps, s.decay, s.l2));
}
