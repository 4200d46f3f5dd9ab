/**
 * The wasm GELU, cross-entropy rows and attention softmax (kernels/elementwise.ts): same signatures as the
 * Backend methods. What costs in JS here is Math.exp; the kernel's float32 SIMD exp is ~1 ulp.
 * Operands that lie in the wasm memory are used in place, large ones split across the worker
 * pool; others are copied into the shared memory in cache-sized chunks and results copied back.
 */
import { addressOf, needState, runOnAllThreads, scratch } from './state.js';
import { streamChunks } from './chunks.js';
import { referenceBackend as ref } from '../reference/index.js';
import { ELEMENT_UNIT, J_G, J_LEN, J_MOM, J_P, J_UNIT, J_VAR, KIND_GELU_FORWARD, KIND_GELU_BACKWARD, KIND_CROSS_ENTROPY, X_COLS, X_IGNORE, X_LOGITS, X_LSE,
  MIN_THREADED_ELEMENTS, X_PM1, X_PROBS, X_ROWS, X_TARGETS, runElementwiseUnits } from './shared.js';

export type { ElementwiseKernels } from './shared.js';

/** Floats per chunk (1 MiB per array): copies and kernel stay in L2. */
const CHUNK = 262144;
/** Cross-entropy rows per claim when threaded (GPT-2's head: 256 rows of 50257). */
const ROWS_PER_UNIT = 4;

/** The wasm addresses of all of xs, or null when any of them is an ordinary array. */
function resident(...xs: Float32Array[]): number[] | null {
  const at = xs.map(addressOf);
  return at.some((a) => a < 0) ? null : at;
}

/** GELU or its backward over n resident elements: on every thread when n is large enough. */
function runGelu(kind: number, at: number[], n: number): void {
  const st = needState();
  if (st.threads === 1 || n < MIN_THREADED_ELEMENTS) {
    if (kind === KIND_GELU_FORWARD) st.elementwise.geluForward(at[0], at[1], at[2], n);
    else st.elementwise.geluBackward(at[0], at[1], at[2], at[3], n);
    return;
  }
  const c = st.ctrl;
  c[J_P] = at[0]; c[J_G] = at[1]; c[J_MOM] = at[2]; c[J_VAR] = at[3] ?? 0; c[J_LEN] = n; c[J_UNIT] = ELEMENT_UNIT;
  runOnAllThreads(st, kind, () => runElementwiseUnits(st.elementwise, c));
}

export function geluForward(x: Float32Array, out: Float32Array, th: Float32Array): void {
  const at = resident(x, out, th);
  if (at) return runGelu(KIND_GELU_FORWARD, at, x.length);
  streamChunks(x.length, CHUNK, [{ data: x, in: true }, { data: out, out: true }, { data: th, out: true }], (state, [xp, op, tp], len) =>
    state.elementwise.geluForward(xp, op, tp, len));
}

export function geluBackward(g: Float32Array, x: Float32Array, th: Float32Array, dx: Float32Array): void {
  const at = resident(g, x, th, dx);
  if (at) return runGelu(KIND_GELU_BACKWARD, at, x.length);
  const arrays = [{ data: g, in: true }, { data: x, in: true }, { data: th, in: true }, { data: dx, out: true }];
  streamChunks(x.length, CHUNK, arrays, (state, [gp, xp, tp, dp], len) => state.elementwise.geluBackward(gp, xp, tp, dp, len));
}

/** Cross-entropy over n resident rows: on every thread when they are many enough. */
function runXent(xp: number, n: number, cols: number, tp: number, ignore: number, probs: boolean, lp: number, pp: number): void {
  const st = needState();
  if (st.threads === 1 || n * cols < MIN_THREADED_ELEMENTS || n < 2 * ROWS_PER_UNIT) {
    st.elementwise.crossEntropyRows(xp, n, cols, tp, ignore, probs ? 1 : 0, lp, pp);
    return;
  }
  const c = st.ctrl;
  c[X_LOGITS] = xp; c[X_ROWS] = n; c[X_COLS] = cols; c[X_TARGETS] = tp; c[X_IGNORE] = ignore; c[X_PROBS] = probs ? 1 : 0;
  c[X_LSE] = lp; c[X_PM1] = pp; c[J_UNIT] = ROWS_PER_UNIT;
  runOnAllThreads(st, KIND_CROSS_ENTROPY, () => runElementwiseUnits(st.elementwise, c));
}

export function crossEntropyRows(x: Float32Array, rows: number, cols: number, t: Int32Array, ignore: number,
  lse: Float64Array, probs: Float32Array | null, pm1: Float64Array | null): void {
  if (rows === 0 || cols === 0) return;
  // Probabilities in the wasm memory: each row of x is copied there once and becomes its softmax in place.
  const pAt = probs ? addressOf(probs) : -1;
  const chunkRows = pAt >= 0 ? rows : Math.max(1, Math.min(rows, Math.floor(CHUNK / cols)));
  const xBytes = pAt >= 0 ? 0 : (4 * chunkRows * cols + 63) & ~63, tBytes = (4 * chunkRows + 63) & ~63, sBytes = 8 * chunkRows;
  const { base, f32 } = scratch(xBytes + tBytes + 2 * sBytes);
  const buf = f32.buffer;
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
    runXent(xp, n, cols, tp, ignore, probs !== null, lp, pp);
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

/** Attention's softmax on the wasm memory in place (its rows are short: no threads); ordinary arrays use the reference. */
export function scaledSoftmax(x: Float32Array, rows: number, cols: number, scale: number, queries: number, out: Float32Array): void {
  const at = resident(x, out);
  if (!at || cols === 0) return ref.scaledSoftmax(x, rows, cols, scale, queries, out);
  needState().elementwise.scaledSoftmax(at[0], rows, cols, scale, queries, at[1]);
}
