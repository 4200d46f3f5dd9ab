import { GradpathError } from '../util/errors.js';

/** Shape arithmetic shared by every op. */

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C-contiguous) strides for a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** A dim in [-ndim, ndim) made non-negative, with a clear error naming the op otherwise. */
export function normDim(op: string, dim: number, ndim: number): number {
  const d = dim < 0 ? dim + ndim : dim;
  if (!Number.isInteger(dim) || d < 0 || d >= Math.max(ndim, 1)) {
    throw new GradpathError(`${op}: dim ${dim} is out of range for a tensor with ${ndim} dims`);
  }
  return d;
}

/** NumPy/PyTorch broadcasting of two shapes. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new GradpathError(`${op}: cannot broadcast ${shapeStr(a)} with ${shapeStr(b)}: dim ${i} is ${da} vs ${db}`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides that read a tensor of `shape`/`strides` as if expanded to `target` (0 where broadcast). */
export function broadcastStrides(shape: readonly number[], strides: readonly number[], target: readonly number[]): number[] {
  const off = target.length - shape.length;
  return target.map((t, i) => {
    const j = i - off;
    if (j < 0) return 0;
    return shape[j] === 1 && t !== 1 ? 0 : strides[j];
  });
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Resolves one -1 in a requested shape, checking the element count. */
export function inferShape(op: string, requested: readonly number[], total: number, from: readonly number[]): number[] {
  const shape = [...requested];
  const unknown = shape.indexOf(-1);
  if (shape.filter((d) => d === -1).length > 1) throw new GradpathError(`${op}: only one dimension can be -1, got ${shapeStr(requested)}`);
  if (unknown >= 0) {
    const known = numel(shape.filter((_, i) => i !== unknown));
    if (known === 0 || total % known !== 0) throw new GradpathError(`${op}: cannot view ${total} elements ${shapeStr(from)} as ${shapeStr(requested)}`);
    shape[unknown] = total / known;
  }
  if (shape.some((d) => !Number.isInteger(d) || d < 0) || numel(shape) !== total) {
    throw new GradpathError(`${op}: cannot view ${total} elements ${shapeStr(from)} as ${shapeStr(requested)}`);
  }
  return shape;
}
