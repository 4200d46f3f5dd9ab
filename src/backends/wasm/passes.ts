/**
 * The wasm memory-bound passes (kernels/passes.ts): broadcast add/sub/mul/div, sums over a
 * middle axis, sums of squares, strided float copies and layer norm, with the Backend methods' signatures.
 * They work in place on large operands that lie in the wasm memory (a pooled training step's
 * activations and gradients); small ones (a bias, a layer norm's weight or statistics) are
 * copied through scratch space. Anything else (ordinary arrays, other ops, other layouts)
 * goes to the reference kernel, so each wrapper is a fast path, never a different answer:
 * binary ops, sums and copies give identical results, layer norm differs only in the order
 * of two float64 row sums.
 */
import type { BinaryOp, ReduceOp } from '../backend.js';
import { referenceBackend as ref } from '../reference/index.js';
import { isDense, period } from '../reference/elementwise.js';
import { addressOf, memoryFloats, needState, tryScratch } from './state.js';

/** kernels/passes.ts (addresses are bytes, counts elements). */
export interface PassKernels {
  binaryRows(op: number, a: number, aStep: number, b: number, bStep: number, out: number, rows: number, p: number): void;
  binaryScalar(op: number, a: number, s: number, scalarFirst: number, out: number, n: number): void;
  sumMiddle(x: number, outer: number, dim: number, inner: number, out: number): void;
  sumSquares(x: number, n: number): number;
  copyStrided(x: number, out: number, nd: number, dims: number, offset: number, total: number): void;
  layerNorm(x: number, w: number, b: number, rows: number, cols: number, eps: number, out: number, mean: number, rstd: number): void;
  layerNormBackward(g: number, x: number, w: number, mean: number, rstd: number, rows: number, cols: number, dx: number, dw: number, db: number): void;
}

const OP_CODES: Partial<Record<BinaryOp, number>> = { add: 0, sub: 1, mul: 2, div: 3 };
/** Largest operand (floats) worth copying into scratch for one call: a bias, a weight, per-row statistics. */
const MAX_COPIED = 65536;

/**
 * Byte addresses for one call: resident arrays where they lie; small ordinary ones (up to
 * MAX_COPIED floats, `null` for none) copied into one scratch block. `copyBack` copies the
 * scratch copies of the given arrays back after the kernel. Null when an array is too large to copy.
 */
function place(arrays: (Float32Array | null)[]): { at: number[]; copyBack(...xs: (Float32Array | null)[]): void } | null {
  const at = arrays.map((x) => (x ? addressOf(x) : -1));
  let bytes = 0;
  for (let i = 0; i < arrays.length; i++) {
    const x = arrays[i];
    if (x && at[i] >= 0) continue;
    const n = x ? x.length : 0;
    if (n > MAX_COPIED) return null;
    bytes += (4 * Math.max(n, 1) + 63) & ~63;
  }
  const base = bytes > 0 ? tryScratch(bytes) : 0;
  if (base < 0) return null;
  const f32 = memoryFloats();
  let next = base;
  const copied = new Map<Float32Array, number>();
  for (let i = 0; i < arrays.length; i++) {
    const x = arrays[i];
    if (x && at[i] >= 0) continue;
    at[i] = next;
    if (x) {
      f32.set(x, next >>> 2);
      copied.set(x, next);
    }
    next += (4 * Math.max(x ? x.length : 0, 1) + 63) & ~63;
  }
  return {
    at,
    copyBack(...xs) {
      for (const x of xs) {
        const p = x ? copied.get(x) : undefined;
        if (x && p !== undefined) x.set(f32.subarray(p >>> 2, (p >>> 2) + x.length));
      }
    },
  };
}

/** The address of every one of xs when all lie in the wasm memory, else null. */
function allResident(...xs: Float32Array[]): number[] | null {
  const at = xs.map(addressOf);
  return at.some((a) => a < 0) ? null : at;
}

export function binary(op: BinaryOp, a: Float32Array, aStrides: number[], b: Float32Array, bStrides: number[], out: Float32Array, outShape: number[]): void {
  const code = OP_CODES[op], n = out.length;
  const oAt = code === undefined || n === 0 ? -1 : addressOf(out);
  if (oAt >= 0) {
    const k = needState().passes;
    const aDense = isDense(aStrides, outShape), bDense = isDense(bStrides, outShape);
    if (aDense && bDense) {
      const at = allResident(a, b);
      if (at) return k.binaryRows(code!, at[0], 0, at[1], 0, oAt, 1, n);
    } else if (aDense || bDense) {
      // one dense operand, the other repeating every p elements (a bias, a scalar)
      const [dense, rep, repFirst] = aDense ? [a, b, false] : [b, a, true];
      const p = period(repFirst ? aStrides : bStrides, outShape);
      const dAt = addressOf(dense);
      if (p > 0 && dAt >= 0 && n % p === 0) {
        if (p === 1) return k.binaryScalar(code!, dAt, rep[0], repFirst ? 1 : 0, oAt, n);
        const placed = place([rep.length === p ? rep : rep.subarray(0, p)]);
        if (placed) {
          const rAt = placed.at[0];
          if (repFirst) return k.binaryRows(code!, rAt, 0, dAt, 4 * p, oAt, n / p, p);
          return k.binaryRows(code!, dAt, 4 * p, rAt, 0, oAt, n / p, p);
        }
      }
    }
  }
  ref.binary(op, a, aStrides, b, bStrides, out, outShape);
}

export function reduce(op: ReduceOp, x: Float32Array, outer: number, dim: number, inner: number, out: Float32Array): void {
  // row sums (inner = 1) stay in JS: a sequential float64 sum is what the reference does
  const xAt = op === 'sum' && inner > 1 && dim > 0 ? addressOf(x) : -1;
  const placed = xAt >= 0 ? place([out]) : null;
  if (!placed) return ref.reduce(op, x, outer, dim, inner, out);
  needState().passes.sumMiddle(xAt, outer, dim, inner, placed.at[0]);
  placed.copyBack(out);
}

export function sumSquares(x: Float32Array): number {
  const at = addressOf(x);
  return at >= 0 ? needState().passes.sumSquares(at, x.length) : ref.sumSquares(x);
}

export function copyStrided<T extends Float32Array | Int32Array>(x: T, shape: number[], strides: number[], offset: number, out: T): void {
  const nd = shape.length;
  const at = nd > 0 && out.length > 0 && x instanceof Float32Array && out instanceof Float32Array ? allResident(x, out) : null;
  const dims = at ? tryScratch(4 * 3 * nd) : -1;
  if (dims < 0) return ref.copyStrided(x, shape, strides, offset, out);
  const i32 = new Int32Array(memoryFloats().buffer, dims, 2 * nd);
  i32.set(shape);
  i32.set(strides, nd);
  needState().passes.copyStrided(at![0], at![1], nd, dims, offset, out.length);
}

export function layerNorm(x: Float32Array, weight: Float32Array | null, bias: Float32Array | null, rows: number, cols: number, eps: number,
  out: Float32Array, mean: Float32Array, rstd: Float32Array): void {
  const at = allResident(x, out);
  const w = weight ?? new Float32Array(cols).fill(1), b = bias ?? new Float32Array(cols);
  const placed = at && cols > 0 ? place([w, b, mean, rstd]) : null;
  if (!placed) return ref.layerNorm(x, weight, bias, rows, cols, eps, out, mean, rstd);
  const [wAt, bAt, mAt, rAt] = placed.at;
  needState().passes.layerNorm(at![0], wAt, bAt, rows, cols, eps, at![1], mAt, rAt);
  placed.copyBack(mean, rstd);
}

export function layerNormBackward(g: Float32Array, x: Float32Array, weight: Float32Array | null, mean: Float32Array, rstd: Float32Array,
  rows: number, cols: number, dx: Float32Array, dweight: Float32Array | null, dbias: Float32Array | null): void {
  const at = allResident(g, x, dx);
  // without a weight it is 1; without dweight/dbias the kernel adds into throwaway zeros
  const w = weight ?? new Float32Array(cols).fill(1), dw = dweight ?? new Float32Array(cols), db = dbias ?? new Float32Array(cols);
  const placed = at && cols > 0 ? place([w, mean, rstd, dw, db]) : null;
  if (!placed) return ref.layerNormBackward(g, x, weight, mean, rstd, rows, cols, dx, dweight, dbias);
  const [wAt, mAt, rAt, dwAt, dbAt] = placed.at;
  needState().passes.layerNormBackward(at![0], at![1], wAt, mAt, rAt, rows, cols, at![2], dwAt, dbAt);
  placed.copyBack(dweight, dbias);
}
