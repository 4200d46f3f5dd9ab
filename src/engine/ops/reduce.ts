import { GradpathError } from '../../util/errors.js';
import { record } from '../autograd.js';
import { getBackend } from '../device.js';
import { normDim, numel, shapeStr } from '../shape.js';
import { Tensor } from '../tensor.js';
import { empty } from './elementwise.js';
import { floatsUninit } from '../pool.js';

/** Reductions over dims, and softmax (a fused reduction). */

function normDims(op: string, x: Tensor, dim: number | number[] | undefined): number[] {
  if (dim === undefined) return x.shape.map((_, i) => i);
  const dims = (Array.isArray(dim) ? dim : [dim]).map((d) => normDim(op, d, x.ndim));
  return [...new Set(dims)].sort((a, b) => a - b);
}

function keptShape(shape: number[], dims: number[]): number[] {
  return shape.map((d, i) => (dims.includes(i) ? 1 : d));
}

/** (outer, dim, inner) sizes for reducing axis `d` of a contiguous shape. */
export function splitAt(shape: number[], d: number): [number, number, number] {
  return [numel(shape.slice(0, d)), shape[d], numel(shape.slice(d + 1))];
}

/** Reduces contiguous data over several dims, innermost first; returns data of the kept shape. */
function reduceData(op: 'sum' | 'max' | 'min', data: Float32Array, shape: number[], dims: number[]): Float32Array {
  let cur = data;
  const s = [...shape];
  for (let k = dims.length - 1; k >= 0; k--) {
    const d = dims[k];
    const [outer, n, inner] = splitAt(s, d);
    const out = floatsUninit(outer * inner);
    getBackend().reduce(op, cur, outer, n, inner, out);
    cur = out;
    s[d] = 1;
  }
  return cur;
}

function finish(x: Tensor, data: Float32Array, dims: number[], keepdim: boolean): Tensor {
  const kept = keptShape(x.shape, dims);
  const shape = keepdim ? kept : x.shape.filter((_, i) => !dims.includes(i));
  return new Tensor(data, shape);
}

export function sum(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  const dims = normDims('sum', x, dim);
  const out = finish(x, reduceData('sum', x.kernelFloats(), x.shape, dims), dims, keepdim);
  return record(out, 'sum', [x], { kept: keptShape(x.shape, dims) });
}

export function mean(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  const dims = normDims('mean', x, dim);
  const count = dims.reduce((n, d) => n * x.shape[d], 1);
  return sum(x, dims, keepdim).mul(1 / count);
}

export function variance(x: Tensor, dim?: number | number[], keepdim = false, unbiased = true): Tensor {
  const dims = normDims('var', x, dim);
  const count = dims.reduce((n, d) => n * x.shape[d], 1);
  const centered = x.sub(mean(x, dims, true));
  return sum(centered.mul(centered), dims, keepdim).mul(1 / Math.max(1, count - (unbiased ? 1 : 0)));
}

function extreme(op: 'max' | 'min', x: Tensor, dim: number | undefined, keepdim: boolean): Tensor {
  if (x.numel() === 0) throw new GradpathError(`${op}: cannot reduce an empty tensor ${shapeStr(x.shape)}`);
  const dims = normDims(op, x, dim);
  const out = finish(x, reduceData(op, x.kernelFloats(), x.shape, dims), dims, keepdim);
  return record(out, 'extreme', [x], { kept: keptShape(x.shape, dims), op });
}

export function max(x: Tensor, dim?: number, keepdim = false): Tensor {
  return extreme('max', x, dim, keepdim);
}

export function min(x: Tensor, dim?: number, keepdim = false): Tensor {
  return extreme('min', x, dim, keepdim);
}

export function argmax(x: Tensor, dim = -1, keepdim = false): Tensor {
  const d = normDim('argmax', dim, x.ndim);
  const [outer, n, inner] = splitAt(x.shape, d);
  const out = new Int32Array(outer * inner);
  getBackend().argmax(x.kernelFloats(), outer, n, inner, out);
  return new Tensor(out, keepdim ? keptShape(x.shape, [d]) : x.shape.filter((_, i) => i !== d));
}

/** softmax / log_softmax over `dim`, fused and numerically stable. */
export function softmax(x: Tensor, dim = -1, log = false): Tensor {
  const d = normDim(log ? 'log_softmax' : 'softmax', dim, x.ndim);
  const last = x.ndim - 1;
  if (d !== last) return softmax(x.transpose(d, last), last, log).transpose(d, last);
  const cols = x.shape[last] ?? 1;
  const out = empty([...x.shape]);
  getBackend().softmax(x.kernelFloats(), x.numel() / Math.max(cols, 1), cols, out.storage as Float32Array, log);
  return record(out, log ? 'logSoftmax' : 'softmax', [x]);
}
