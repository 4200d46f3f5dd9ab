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

/** Runs a broadcasting binary kernel; inputs may be any strided views (no copies). */
export function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor, name: string = op): Tensor {
  const shape = broadcastShapes(name, a.shape, b.shape);
  const out = emptyUninit(shape);
  const aData = a.offset ? a.storage.subarray(a.offset) : a.storage;
  const bData = b.offset ? b.storage.subarray(b.offset) : b.storage;
  getBackend().binary(op, aData as Float32Array, broadcastStrides(a.shape, a.strides, shape), bData as Float32Array, broadcastStrides(b.shape, b.strides, shape), out.storage as Float32Array, shape);
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
  const v = x.floatValues();
  const out = empty([...x.shape]);
  const o = out.data;
  for (let i = 0; i < v.length; i++) o[i] = v[i] < min ? min : v[i] > max ? max : v[i];
  return record(out, 'clamp', [x], { min, max });
}

/** out = cond ? a : b, broadcasting all three. cond is any tensor; nonzero means true. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const ta = asTensor(a), tb = asTensor(b);
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, ta.shape), tb.shape);
  const c = cond.float().expand(shape).floatValues();
  const av = ta.expand(shape).floatValues(), bv = tb.expand(shape).floatValues();
  const out = empty(shape);
  const o = out.data;
  for (let i = 0; i < o.length; i++) o[i] = c[i] !== 0 ? av[i] : bv[i];
  return record(out, 'where', [ta, tb], c);
}

/** Fills positions where mask is nonzero with value (e.g. -Infinity above the causal diagonal). */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  const shape = broadcastShapes('masked_fill', x.shape, mask.shape);
  if (shape.length !== x.ndim || shape.some((d, i) => d !== x.shape[i])) {
    throw new GradpathError(`masked_fill: mask ${shapeStr(mask.shape)} does not broadcast to ${shapeStr(x.shape)}`);
  }
  // The mask repeats over x's leading dims (a (T, T) causal mask under (B, nh, T, T) scores):
  // read it with a modulo instead of materialising the broadcast.
  const trailing = mask.shape.slice(mask.shape.findIndex((d) => d !== 1));
  const repeats = mask.numel() === 0 || trailing.every((d, i) => d === x.shape[x.ndim - trailing.length + i]);
  const m = repeats ? mask.floatValues() : mask.float().expand(x.shape).floatValues();
  const xv = x.floatValues();
  const out = empty([...x.shape]);
  const o = out.data;
  const period = m.length;
  for (let i = 0, j = 0; i < o.length; i++, j = j + 1 === period ? 0 : j + 1) o[i] = m[j] !== 0 ? value : xv[i];
  return record(out, 'maskedFill', [x], m);
}
