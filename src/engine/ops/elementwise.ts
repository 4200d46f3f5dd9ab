import type { BinaryOp, UnaryOp } from '../../backends/backend.js';
import { GradpathError } from '../../util/errors.js';
import { record } from '../autograd.js';
import { getBackend } from '../device.js';
import { broadcastShapes, broadcastStrides, numel, shapeStr } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { floats, floatsUninit } from '../pool.js';

/** Elementwise ops: each runs one backend primitive and records one autograd node. */

export function empty(shape: number[]): Tensor {
  return new Tensor(floats(numel(shape)), shape);
}

/** Like empty, for kernels that write every element (pooled storage then skips zeroing). */
export function emptyUninit(shape: number[]): Tensor {
  return new Tensor(floatsUninit(numel(shape)), shape);
}

export function scalar(v: number): Tensor {
  return new Tensor(Float32Array.of(v), []);
}

export function asTensor(x: TensorLike): Tensor {
  if (typeof x === 'number') return scalar(x);
  return x.dtype === 'float32' ? x : x.float();
}

export function unaryOp(op: UnaryOp, x: Tensor): Tensor {
  const xf = asTensor(x);
  const out = emptyUninit([...xf.shape]);
  getBackend().unary(op, xf.kernelFloats(), out.storage as Float32Array);
  return record(out, op, [xf]);
}

/** GELU (tanh approximation), fused: the forward keeps its tanh values for the backward. */
export function gelu(x: Tensor): Tensor {
  const xv = asTensor(x).kernelFloats();
  const out = emptyUninit([...x.shape]);
  const th = floatsUninit(xv.length);
  getBackend().geluForward(xv, out.storage as Float32Array, th);
  return record(out, 'gelu', [x], { xv, th });
}

/** A float tensor's storage from its first element, for a kernel that reads it through strides. */
const fromOffset = (t: Tensor): Float32Array => (t.offset ? t.storage.subarray(t.offset) : t.storage) as Float32Array;

/** Runs a broadcasting binary kernel; inputs may be any strided views (no copies). */
export function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor, name: string = op): Tensor {
  const shape = broadcastShapes(name, a.shape, b.shape);
  const out = emptyUninit(shape);
  getBackend().binary(op, fromOffset(a), broadcastStrides(a.shape, a.strides, shape), fromOffset(b), broadcastStrides(b.shape, b.strides, shape), out.storage as Float32Array, shape);
  return out;
}

export function binaryOp(op: 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min', a: TensorLike, b: TensorLike): Tensor {
  const ta = asTensor(a), tb = asTensor(b);
  return record(binaryRaw(op, ta, tb), op, [ta, tb]);
}

/** Comparisons give 0/1 float tensors and are not differentiable. */
export function compare(op: 'eq' | 'gt' | 'lt' | 'ge', a: TensorLike, b: TensorLike): Tensor {
  return binaryRaw(op, asTensor(a), asTensor(b));
}

export function pow(x: Tensor, exponent: TensorLike): Tensor {
  const xf = asTensor(x);
  if (typeof exponent === 'number') {
    // x^2 is so common (variances, L2) that it gets a multiply instead of Math.pow
    const out = exponent === 2 ? binaryRaw('mul', xf, xf) : binaryRaw('pow', xf, scalar(exponent));
    return record(out, 'powScalar', [xf], exponent);
  }
  const e = asTensor(exponent);
  return record(binaryRaw('pow', xf, e), 'pow', [xf, e]);
}

export function clamp(x: Tensor, min = -Infinity, max = Infinity): Tensor {
  if (min > max) throw new GradpathError(`clamp: min ${min} is greater than max ${max}`);
  const out = emptyUninit([...x.shape]);
  getBackend().clamp(x.kernelFloats(), min, max, out.storage as Float32Array);
  return record(out, 'clamp', [x], { min, max });
}

/** The where kernel over `shape`, cond (float32, nonzero is true), a and b broadcast into it; records nothing. */
export function whereRaw(cond: Tensor, a: Tensor, b: Tensor, shape: number[]): Tensor {
  const out = emptyUninit(shape);
  const strides = (t: Tensor) => broadcastStrides(t.shape, t.strides, shape);
  getBackend().where(fromOffset(cond), strides(cond), fromOffset(a), strides(a), fromOffset(b), strides(b), out.storage as Float32Array, shape);
  return out;
}

/** out = cond ? a : b, broadcasting all three. cond is any tensor; nonzero means true. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const ta = asTensor(a), tb = asTensor(b);
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, ta.shape), tb.shape);
  const c = asTensor(cond);
  return record(whereRaw(c, ta, tb, shape), 'where', [ta, tb], c);
}

/** Fills positions where mask is nonzero with value (e.g. -Infinity above the causal diagonal). */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  const shape = broadcastShapes('masked_fill', x.shape, mask.shape);
  if (shape.length !== x.ndim || shape.some((d, i) => d !== x.shape[i])) {
    throw new GradpathError(`masked_fill: mask ${shapeStr(mask.shape)} does not broadcast to ${shapeStr(x.shape)}`);
  }
  const m = asTensor(mask);
  return record(whereRaw(m, scalar(value), asTensor(x), shape), 'maskedFill', [x], m);
}
