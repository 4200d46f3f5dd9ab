import type { Backend, ReduceOp, WindowKernels } from '../backend.js';
import { binary, clamp, geluBackward, geluForward, unary, where } from './elementwise.js';
import { crossEntropy } from './cross-entropy.js';
import { matmul } from './matmul.js';
import { layerNorm, layerNormBackward } from './layernorm.js';
import { adam } from './adam.js';
import { avgPool2d, avgPool2dBackward, col2im, im2col, maxPool2d, maxPool2dBackward } from './window.js';
import { batchNorm, batchNormBackward, batchNormRunningStats } from './batchnorm.js';

/**
 * The reference backend: plain TypeScript loops, written to be read. It is the oracle that
 * every fast kernel is tested against, and the fallback for primitives a backend does not speed up.
 */

function reduce(op: ReduceOp, x: Float32Array, outer: number, dim: number, inner: number, out: Float32Array): void {
  for (let o = 0; o < outer; o++) {
    const base = o * dim * inner;
    const ob = o * inner;
    if (op === 'sum') {
      for (let i = 0; i < inner; i++) out[ob + i] = 0;
      // accumulate in float64 per output for accuracy, walking memory in order
      if (inner === 1) {
        let s = 0;
        for (let d = 0; d < dim; d++) s += x[base + d];
        out[ob] = s;
      } else {
        const acc = new Float64Array(inner);
        for (let d = 0; d < dim; d++) {
          const r = base + d * inner;
          for (let i = 0; i < inner; i++) acc[i] += x[r + i];
        }
        for (let i = 0; i < inner; i++) out[ob + i] = acc[i];
      }
    } else {
      const better = op === 'max' ? (a: number, b: number) => a > b || Number.isNaN(a) : (a: number, b: number) => a < b || Number.isNaN(a);
      for (let i = 0; i < inner; i++) {
        let best = x[base + i];
        for (let d = 1; d < dim; d++) {
          const v = x[base + d * inner + i];
          if (better(v, best)) best = v;
        }
        out[ob + i] = best;
      }
    }
  }
}

function sumSquares(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}

function argmax(x: Float32Array, outer: number, dim: number, inner: number, out: Int32Array): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * dim * inner + i;
      let best = x[base], arg = 0;
      for (let d = 1; d < dim; d++) {
        const v = x[base + d * inner];
        if (v > best) { best = v; arg = d; }
      }
      out[o * inner + i] = arg;
    }
  }
}

function gather(x: Float32Array, outer: number, dim: number, inner: number, idx: Int32Array, out: Float32Array): void {
  const m = idx.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const src = (o * dim + idx[j]) * inner;
      const dst = (o * m + j) * inner;
      if (inner >= 64) out.set(x.subarray(src, src + inner), dst);
      else for (let i = 0; i < inner; i++) out[dst + i] = x[src + i];
    }
  }
}

function scatterAdd(src: Float32Array, outer: number, dim: number, inner: number, idx: Int32Array, out: Float32Array): void {
  const m = idx.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const s = (o * m + j) * inner, d = (o * dim + idx[j]) * inner;
      for (let i = 0; i < inner; i++) out[d + i] += src[s + i];
    }
  }
}

function copyStrided<T extends Float32Array | Int32Array>(x: T, shape: number[], strides: number[], offset: number, out: T): void {
  const nd = shape.length;
  const total = out.length;
  if (total === 0) return;
  if (nd === 0) { out[0] = x[offset]; return; }
  const last = shape[nd - 1], sl = strides[nd - 1];
  const idx = new Array(nd - 1).fill(0);
  let ix = offset;
  for (let io = 0; io < total; io += last) {
    // subarray() allocates, so short rows are copied element by element
    if (sl === 1 && last >= 64) out.set(x.subarray(ix, ix + last) as any, io);
    else for (let j = 0; j < last; j++) out[io + j] = x[ix + j * sl];
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]++;
      ix += strides[d];
      if (idx[d] < shape[d]) break;
      ix -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

function softmax(x: Float32Array, rows: number, cols: number, out: Float32Array, log: boolean): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) if (x[o + j] > max) max = x[o + j];
    if (max === -Infinity) max = 0; // a fully masked row: avoid NaN from (-inf) - (-inf)
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp(x[o + j] - max);
    if (log) {
      const lse = max + Math.log(sum);
      for (let j = 0; j < cols; j++) out[o + j] = x[o + j] - lse;
    } else {
      const inv = 1 / sum;
      for (let j = 0; j < cols; j++) out[o + j] = Math.exp(x[o + j] - max) * inv;
    }
  }
}

/** out = scale * y * (g - sum(g y)) per row: the backward of softmax (scale 1) and of scaledSoftmax. */
function softmaxBackward(g: Float32Array, y: Float32Array, rows: number, cols: number, scale: number, out: Float32Array): void {
  for (let o = 0; o < rows * cols; o += cols) {
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += g[o + j] * y[o + j];
    for (let j = 0; j < cols; j++) out[o + j] = scale * y[o + j] * (g[o + j] - dot);
  }
}

function scaledSoftmax(x: Float32Array, rows: number, cols: number, scale: number, queries: number, out: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const limit = queries > 0 ? cols - queries + (r % queries) + 1 : cols;
    let max = -Infinity;
    for (let j = 0; j < limit; j++) if (x[o + j] > max) max = x[o + j];
    let sum = 0;
    for (let j = 0; j < limit; j++) {
      const e = Math.exp((x[o + j] - max) * scale);
      out[o + j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = 0; j < limit; j++) out[o + j] *= inv;
    for (let j = limit; j < cols; j++) out[o + j] = 0;
  }
}

/** The window kernels on their own: what a backend without them inherits. */
export const referenceWindowKernels: WindowKernels = {
  im2col, col2im, maxPool2d, maxPool2dBackward, avgPool2d, avgPool2dBackward, batchNorm, batchNormBackward,
};

export const referenceBackend: Backend & WindowKernels = {
  name: 'reference',
  unary,
  binary,
  reduce,
  sumSquares,
  argmax,
  matmul,
  gather,
  scatterAdd,
  copyStrided,
  softmax,
  scaledSoftmax,
  softmaxBackward,
  layerNorm,
  layerNormBackward,
  adam,
  geluForward,
  geluBackward,
  crossEntropy,
  clamp,
  where,
  batchNormRunningStats,
  ...referenceWindowKernels,
};
