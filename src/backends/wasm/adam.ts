/**
 * The wasm Adam step: same signature as Backend.adam. Parameters and gradients live in
 * ordinary Float32Arrays, so cache-sized chunks are copied into the wasm memory, updated there
 * with SIMD (kernels/adam.ts), and copied back. The moments m and v usually live in the wasm
 * memory for good (adamState), which leaves 3 copies per element instead of 7: the JS loop is
 * bound by float64 sqrt and division, the kernel by those copies.
 */
import type { AdamStep } from '../backend.js';
import { resident, scratch, type WasmState } from './matmul.js';

/** Elements per chunk: 4 arrays x 64K floats = 1 MiB, warm in L2 between copy-in, kernel and copy-out. */
const CHUNK = 65536;

/** Byte offsets of the moment buffers adamState placed in the wasm memory (per set-up of it). */
const offsets = new WeakMap<Float32Array, { state: WasmState; offset: number }>();

/** Storage for one moment buffer: in the wasm memory when it has room, else an ordinary array. */
export function adamState(n: number): Float32Array {
  const r = n > 0 ? resident(n) : null;
  if (!r) return new Float32Array(n);
  offsets.set(r.view, { state: r.state, offset: r.offset });
  return r.view;
}

export function adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, s: AdamStep): void {
  const n = p.length;
  const c = Math.min(CHUNK, n);
  if (c === 0) return;
  const { state, base, f32 } = scratch(16 * c);
  const mr = offsets.get(m), vr = offsets.get(v);
  const inPlace = mr?.state === state && vr?.state === state;
  const pp = base, gp = base + 4 * c, mp = base + 8 * c, vp = base + 12 * c;
  for (let i = 0; i < n; i += c) {
    const len = Math.min(c, n - i), end = i + len;
    f32.set(p.subarray(i, end), pp >> 2);
    f32.set(g.subarray(i, end), gp >> 2);
    if (inPlace) {
      state.adam(pp, gp, mr!.offset + 4 * i, vr!.offset + 4 * i, len, s.beta1, s.beta2, 1 - s.beta1, 1 - s.beta2, s.stepSize, s.invSqrtC2, s.eps, s.decay, s.l2);
    } else {
      f32.set(m.subarray(i, end), mp >> 2);
      f32.set(v.subarray(i, end), vp >> 2);
      state.adam(pp, gp, mp, vp, len, s.beta1, s.beta2, 1 - s.beta1, 1 - s.beta2, s.stepSize, s.invSqrtC2, s.eps, s.decay, s.l2);
      m.set(f32.subarray(mp >> 2, (mp >> 2) + len), i);
      v.set(f32.subarray(vp >> 2, (vp >> 2) + len), i);
    }
    p.set(f32.subarray(pp >> 2, (pp >> 2) + len), i);
  }
}
