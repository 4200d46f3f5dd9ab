import { GradpathError } from '../../util/errors.js';
import { record } from '../autograd.js';
import { getBackend } from '../device.js';
import { normDim, numel, shapeStr } from '../shape.js';
import { Tensor } from '../tensor.js';
import { splitAt } from './reduce.js';
import { floats, floatsUninit } from '../pool.js';

/** Indexing ops: index_select (embedding is its dim-0 case) and gather. */

function indexData(op: string, index: Tensor, size: number): Int32Array {
  const idx = index.intValues();
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i];
    if (v < 0 || v >= size) throw new GradpathError(`${op}: index ${v} is out of range for size ${size}`);
  }
  return idx;
}

/** x.index_select(dim, index): picks whole slices; out shape = x.shape with dim -> index.shape. */
export function indexSelect(x: Tensor, dim: number, index: Tensor, op = 'index_select'): Tensor {
  const d = normDim(op, dim, x.ndim);
  const idx = indexData(op, index, x.shape[d]);
  const [outer, n, inner] = splitAt(x.shape, d);
  const out = new Tensor(floatsUninit(outer * idx.length * inner), [...x.shape.slice(0, d), ...index.shape, ...x.shape.slice(d + 1)]);
  getBackend().gather(x.kernelFloats(), outer, n, inner, idx, out.storage as Float32Array);
  return record(out, 'indexSelect', [x], { dim: d, idx, outer, n, inner });
}

/** embedding(weight (V, C), idx (...)) -> (..., C) */
export function embedding(weight: Tensor, idx: Tensor): Tensor {
  if (weight.ndim !== 2) throw new GradpathError(`embedding: weight must be 2-D (num_embeddings, dim); got ${shapeStr(weight.shape)}`);
  return indexSelect(weight, 0, idx, 'embedding');
}

/** torch.gather: out[i][j][k] = x[i][index[i][j][k]][k] for dim = 1; index has x's ndim. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normDim('gather', dim, x.ndim);
  if (index.ndim !== x.ndim) throw new GradpathError(`gather: index ${shapeStr(index.shape)} must have as many dims as input ${shapeStr(x.shape)}`);
  const [outer, m, inner] = splitAt(index.shape, d);
  for (let i = 0; i < x.ndim; i++) {
    if (i !== d && index.shape[i] > x.shape[i]) throw new GradpathError(`gather: index ${shapeStr(index.shape)} is larger than input ${shapeStr(x.shape)} in dim ${i}`);
  }
  const idx = indexData('gather', index, x.shape[d]);
  const src = x.contiguous();
  const xv = src.floatValues();
  const xInner = src.strides[d];
  const out = new Tensor(floats(numel(index.shape)), [...index.shape]);
  const o = out.data;
  // flat positions in x, saved for the backward scatter
  const pos = new Int32Array(o.length);
  const innerShape = index.shape.slice(d + 1), xInnerStrides = src.strides.slice(d + 1);
  for (let a = 0; a < outer; a++) {
    // outer multi-index -> x offset
    let rem = a, xo = 0;
    for (let i = d - 1; i >= 0; i--) {
      const c = rem % index.shape[i];
      rem = (rem - c) / index.shape[i];
      xo += c * src.strides[i];
    }
    for (let j = 0; j < m; j++) {
      for (let b = 0; b < inner; b++) {
        let r = b, xi = 0;
        for (let i = innerShape.length - 1; i >= 0; i--) {
          const c = r % innerShape[i];
          r = (r - c) / innerShape[i];
          xi += c * xInnerStrides[i];
        }
        const k = (a * m + j) * inner + b;
        pos[k] = xo + idx[k] * xInner + xi;
        o[k] = xv[pos[k]];
      }
    }
  }
  return record(out, 'gather', [x], pos);
}
