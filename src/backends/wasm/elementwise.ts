/**
 * The wasm GELU and cross-entropy rows (kernels/elementwise.ts): same signatures as the
 * Backend methods. What costs in JS here is Math.exp; the kernel's float32 SIMD exp is ~1 ulp.
 * Operands that lie in the wasm memory are used in place; others are copied into the shared
 * memory in cache-sized chunks and results copied back.
 */
import { addressOf, memoryFloats, needState, scratch } from './state.js';
import { streamChunks } from './chunks.js';

export interface ElementwiseKernels {
  gelu(x: number, out: number, th: number, n: number): void;
  geluBackward(g: number, x: number, th: number, dx: number, n: number): void;
  xentRows(x: number, rows: number, cols: number, t: number, ignore: number, probs: number, lse: number, pm1: number): void;
}

/** Floats per chunk (1 MiB per array): copies and kernel stay in L2. */
const CHUNK = 262144;

/** The wasm addresses of all of xs, or null when any of them is an ordinary array. */
function resident(...xs: Float32Array[]): number[] | null {
  const at = xs.map(addressOf);
  return at.some((a) => a < 0) ? null : at;
}

export function geluForward(x: Float32Array, out: Float32Array, th: Float32Array): void {
  const at = resident(x, out, th);
  if (at) return needState().elementwise.gelu(at[0], at[1], at[2], x.length);
  streamChunks(x.length, CHUNK, [{ data: x, in: true }, { data: out, out: true }, { data: th, out: true }], (state, [xp, op, tp], len) =>
    state.elementwise.gelu(xp, op, tp, len));
}

export function geluBackward(g: Float32Array, x: Float32Array, th: Float32Array, dx: Float32Array): void {
  const at = resident(g, x, th, dx);
  if (at) return needState().elementwise.geluBackward(at[0], at[1], at[2], at[3], x.length);
  const arrays = [{ data: g, in: true }, { data: x, in: true }, { data: th, in: true }, { data: dx, out: true }];
  streamChunks(x.length, CHUNK, arrays, (state, [gp, xp, tp, dp], len) => state.elementwise.geluBackward(gp, xp, tp, dp, len));
}

export function crossEntropyRows(x: Float32Array, rows: number, cols: number, t: Int32Array, ignore: number,
  lse: Float64Array, probs: Float32Array | null, pm1: Float64Array | null): void {
  if (rows === 0 || cols === 0) return;
  // Probabilities in the wasm memory: each row of x is copied there once and becomes its softmax in place.
  const pAt = probs ? addressOf(probs) : -1;
  const chunkRows = pAt >= 0 ? rows : Math.max(1, Math.min(rows, Math.floor(CHUNK / cols)));
  const xBytes = pAt >= 0 ? 0 : (4 * chunkRows * cols + 63) & ~63, tBytes = (4 * chunkRows + 63) & ~63, sBytes = 8 * chunkRows;
  const { state, base } = scratch(xBytes + tBytes + 2 * sBytes);
  const f32 = memoryFloats(), buf = f32.buffer;
  const xp = pAt >= 0 ? pAt : base, tp = base + xBytes, lp = tp + tBytes, pp = lp + sBytes;
  const i32 = new Int32Array(buf, tp, chunkRows), lseW = new Float64Array(buf, lp, chunkRows), pm1W = new Float64Array(buf, pp, chunkRows);
  for (let r = 0; r < rows; r += chunkRows) {
    const n = Math.min(chunkRows, rows - r);
    if (pAt >= 0) {
      // ignored rows are left as they are, as in the reference
      for (let i = 0; i < n; i++) if (t[r + i] !== ignore) probs!.set(x.subarray((r + i) * cols, (r + i + 1) * cols), (r + i) * cols);
    } else {
      f32.set(x.subarray(r * cols, (r + n) * cols), xp >>> 2);
    }
    i32.set(t.subarray(r, r + n));
    state.elementwise.xentRows(xp, n, cols, tp, ignore, probs ? 1 : 0, lp, pp);
    for (let i = 0; i < n; i++) {
      if (t[r + i] === ignore) continue;
      lse[r + i] = lseW[i];
      if (pm1) pm1[r + i] = pm1W[i];
    }
    if (probs && pAt < 0) {
      for (let i = 0; i < n; i++) {
        if (t[r + i] !== ignore) probs.set(f32.subarray((xp >>> 2) + i * cols, (xp >>> 2) + (i + 1) * cols), (r + i) * cols);
      }
    }
  }
}
