import { GradpathError } from '../../util/errors.js';
import { record } from '../autograd.js';
import { contiguousStrides, inferShape, normDim, numel, sameShape, shapeStr } from '../shape.js';
import { Tensor } from '../tensor.js';
import { floats } from '../pool.js';
import { getBackend } from '../device.js';

/** Shape ops. Most are views: same storage, new shape/strides/offset, no copy. */

export function contiguous(x: Tensor): Tensor {
  if (x.isContiguous()) return x;
  const out = new Tensor(x.kernelValues(), [...x.shape]);
  return record(out, 'contiguous', [x]);
}

export function reshape(x: Tensor, requested: number[]): Tensor {
  const shape = inferShape('reshape', requested, x.numel(), x.shape);
  const src = x.isContiguous() ? x : contiguous(x);
  const out = new Tensor(src.storage, shape, contiguousStrides(shape), src.offset);
  return record(out, 'reshape', [src], [...x.shape]);
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normDim('flatten', startDim, x.ndim), e = normDim('flatten', endDim, x.ndim);
  return reshape(x, [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

export function permute(x: Tensor, dims: number[]): Tensor {
  const nd = dims.map((d) => normDim('permute', d, x.ndim));
  if (nd.length !== x.ndim || new Set(nd).size !== nd.length) {
    throw new GradpathError(`permute: dims [${dims.join(', ')}] are not a permutation of the ${x.ndim} dims of ${shapeStr(x.shape)}`);
  }
  const out = new Tensor(x.storage, nd.map((d) => x.shape[d]), nd.map((d) => x.strides[d]), x.offset);
  return record(out, 'permute', [x], nd);
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const a = normDim('transpose', dim0, x.ndim), b = normDim('transpose', dim1, x.ndim);
  const dims = x.shape.map((_, i) => i);
  dims[a] = b;
  dims[b] = a;
  return permute(x, dims);
}

export function expand(x: Tensor, shape: number[]): Tensor {
  if (shape.length < x.ndim) throw new GradpathError(`expand: cannot expand ${shapeStr(x.shape)} to fewer dims ${shapeStr(shape)}`);
  const off = shape.length - x.ndim;
  const target = shape.map((d, i) => (d === -1 && i >= off ? x.shape[i - off] : d));
  if (sameShape(target, x.shape)) return x;
  const strides = target.map((d, i) => {
    const j = i - off;
    if (j < 0) return 0;
    if (x.shape[j] === d) return x.strides[j];
    if (x.shape[j] === 1) return 0;
    throw new GradpathError(`expand: cannot expand ${shapeStr(x.shape)} to ${shapeStr(shape)}: dim ${i} is ${x.shape[j]}, not 1`);
  });
  const out = new Tensor(x.storage, target, strides, x.offset);
  return record(out, 'expand', [x], [...x.shape]);
}

export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normDim('narrow', dim, x.ndim);
  if (start < 0) start += x.shape[d];
  if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0 || start + length > x.shape[d]) {
    throw new GradpathError(`narrow: range [${start}, ${start + length}) is outside dim ${d} of size ${x.shape[d]}`);
  }
  const shape = [...x.shape];
  shape[d] = length;
  const out = new Tensor(x.storage, shape, [...x.strides], x.offset + start * x.strides[d]);
  return record(out, 'narrow', [x], { dim: d, start });
}

export function squeeze(x: Tensor, dim?: number): Tensor {
  if (dim === undefined) return reshape(x, x.shape.filter((s) => s !== 1));
  const d = normDim('squeeze', dim, x.ndim);
  if (x.shape[d] !== 1) return x;
  return reshape(x, x.shape.filter((_, i) => i !== d));
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normDim('unsqueeze', dim, x.ndim + 1);
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return reshape(x, shape);
}

/** Writes src (any strides) into the strided view dst, element by element. */
export function copyInto(dst: Tensor, src: Tensor): void {
  const v = src.values();
  const data = dst.data, sl = dst.strides[dst.ndim - 1];
  if (dst.isContiguous()) { data.set(v as any, dst.offset); return; }
  forEachRow(dst, (p, i, last) => { for (let j = 0; j < last; j++) data[p + j * sl] = v[i + j]; });
}

/** Calls row(p, i, last) for each row of dst's last dim: p is where it starts in dst.data, i in row-major order. */
function forEachRow(dst: Tensor, row: (p: number, i: number, last: number) => void): void {
  const nd = dst.ndim, shape = dst.shape, strides = dst.strides;
  const idx = new Array(nd).fill(0);
  let p = dst.offset;
  const last = shape[nd - 1], total = dst.numel();
  for (let i = 0; i < total; i += last) {
    row(p, i, last);
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]++;
      p += strides[d];
      if (idx[d] < shape[d]) break;
      p -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

/**
 * dst += src in place, where dst is a float tensor or a view into one (same shape as src): a
 * backend pass over contiguous storage (in place on a pooled step's buffers), else a strided loop.
 */
export function addInto(dst: Tensor, src: Tensor): void {
  if (dst.isContiguous()) {
    const v = src.kernelFloats();
    const region = (dst.storage as Float32Array).subarray(dst.offset, dst.offset + v.length);
    getBackend().binary('add', region, [1], v, [1], region, [v.length]);
    return;
  }
  const v = src.floatValues();
  const data = dst.data as Float32Array;
  const sl = dst.strides[dst.ndim - 1];
  forEachRow(dst, (p, i, last) => { for (let j = 0; j < last; j++) data[p + j * sl] += v[i + j]; });
}

export function cat(tensors: Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new GradpathError('cat: needs at least one tensor');
  const first = tensors[0];
  const d = normDim('cat', dim, first.ndim);
  for (const t of tensors) {
    if (t.ndim !== first.ndim || t.shape.some((s, i) => i !== d && s !== first.shape[i])) {
      throw new GradpathError(`cat: shapes ${tensors.map((x) => shapeStr(x.shape)).join(', ')} differ outside dim ${d}`);
    }
  }
  const shape = [...first.shape];
  shape[d] = tensors.reduce((n, t) => n + t.shape[d], 0);
  const int = tensors.every((t) => t.dtype === 'int32');
  const data = int ? new Int32Array(numel(shape)) : floats(numel(shape));
  const out = new Tensor(data, shape);
  let start = 0;
  for (const t of tensors) {
    const region = new Tensor(out.storage, t.shape, out.strides, start * out.strides[d]);
    copyInto(region, int ? t : t.float());
    start += t.shape[d];
  }
  return record(out, 'cat', tensors, { dim: d, sizes: tensors.map((t) => t.shape[d]) });
}

export function stack(tensors: Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new GradpathError('stack: needs at least one tensor');
  const d = normDim('stack', dim, tensors[0].ndim + 1);
  return cat(tensors.map((t) => unsqueeze(t, d)), d);
}

export function split(x: Tensor, sizeOrSections: number | number[], dim = 0): Tensor[] {
  const d = normDim('split', dim, x.ndim);
  const n = x.shape[d];
  let sizes: number[];
  if (typeof sizeOrSections === 'number') {
    if (sizeOrSections <= 0) throw new GradpathError(`split: size must be positive, got ${sizeOrSections}`);
    sizes = [];
    for (let s = 0; s < n; s += sizeOrSections) sizes.push(Math.min(sizeOrSections, n - s));
  } else {
    sizes = sizeOrSections;
    if (sizes.reduce((a, b) => a + b, 0) !== n) throw new GradpathError(`split: sizes [${sizes.join(', ')}] do not add up to dim ${d} of size ${n}`);
  }
  const parts: Tensor[] = [];
  let start = 0;
  for (const s of sizes) {
    parts.push(narrow(x, d, start, s));
    start += s;
  }
  return parts;
}

export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  const d = normDim('chunk', dim, x.ndim);
  return split(x, Math.ceil(x.shape[d] / chunks), d);
}

/** Sums g over the dims that broadcasting expanded, giving a tensor of `shape`. */
export function unbroadcast(g: Tensor, shape: number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const off = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < off || (shape[i - off] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  const summed = dims.length ? g.sum(dims, true) : g;
  return reshape(summed, shape);
}
