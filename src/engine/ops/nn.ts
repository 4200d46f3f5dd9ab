import { GradpathError } from '../../util/errors.js';
import { isGradEnabled, record } from '../autograd.js';
import { getBackend } from '../device.js';
import { defaultGenerator, type Generator } from '../../util/random.js';
import { normDim, numel, shapeStr } from '../shape.js';
import { Tensor } from '../tensor.js';
import { emptyUninit } from './elementwise.js';
import { floatsUninit } from '../pool.js';

/** Neural-network functions (torch.nn.functional): losses, normalisation, dropout, sampling. */

/**
 * Cross entropy of logits (N, C) (or (..., C)) against integer targets (N) (or (...)), mean over
 * targets that are not ignoreIndex. Fused: the backend's one pass of exp per row gives the loss
 * and, when a gradient will be needed, softmax - onehot, which the backward only scales: one exp
 * per logit in all (GPT-2 has 50257 per token). For the target the backend forms p - 1 from the
 * other classes' sum, which stays exact where p rounds to 1. The loss stays where the backend
 * computed it (on a device: nothing is read back until .item()).
 */
export function crossEntropy(logits: Tensor, targets: Tensor, opts: { ignoreIndex?: number } = {}): Tensor {
  const ignore = opts.ignoreIndex ?? -1;
  const C = logits.shape[logits.ndim - 1];
  const N = logits.numel() / C;
  if (targets.numel() !== N || logits.ndim !== targets.ndim + 1) {
    throw new GradpathError(`cross_entropy: logits ${shapeStr(logits.shape)} need targets of shape ${shapeStr(logits.shape.slice(0, -1))}; got ${shapeStr(targets.shape)}`);
  }
  const t = targets.intValues();
  let count = 0;
  for (let i = 0; i < N; i++) {
    if (t[i] === ignore) continue;
    if (t[i] < 0 || t[i] >= C) throw new GradpathError(`cross_entropy: target ${t[i]} is out of range for ${C} classes`);
    count++;
  }
  const grad = logits.requiresGrad && isGradEnabled() ? floatsUninit(N * C) : null;
  const out = new Tensor(new Float32Array(1), []);
  getBackend().crossEntropy(logits.kernelFloats(), N, C, t, ignore, out.storage as Float32Array, grad);
  return record(out, 'crossEntropy', [logits], { grad, N, C, count });
}

/**
 * softmax(scale * scores) over the last dim, with the causal mask applied on the fly: query t
 * of T sees keys 0 .. S-T+t (with a KV cache the T queries are the last of S positions).
 * Fused for speed: one pass instead of scale, masked_fill and softmax, and one backward.
 * scores (..., T, S) -> weights (..., T, S).
 */
export function attentionSoftmax(scores: Tensor, scale: number, causal: boolean): Tensor {
  const S = scores.shape[scores.ndim - 1], T = scores.shape[scores.ndim - 2];
  if (causal && T > S) throw new GradpathError(`attention: ${T} queries cannot attend causally to only ${S} keys`);
  const out = emptyUninit([...scores.shape]);
  getBackend().scaledSoftmax(scores.kernelFloats(), scores.numel() / S, S, scale, causal ? T : 0, out.storage as Float32Array);
  return record(out, 'attentionSoftmax', [scores], scale);
}

/**
 * The backward of softmax over the last dim (and of attentionSoftmax, with its scale): from the
 * output y and its gradient g, scale * y * (g - sum(g y)) row by row, in one backend pass
 * instead of five tensor ops. Masked entries have y = 0 and get no gradient.
 */
export function softmaxBackward(g: Tensor, y: Tensor, scale: number): Tensor {
  const S = y.shape[y.ndim - 1];
  const yv = y.kernelFloats();
  const d = floatsUninit(yv.length);
  getBackend().softmaxBackward(g.kernelFloats(), yv, S ? yv.length / S : 0, S, scale, d);
  return new Tensor(d, [...y.shape]);
}

/** layer_norm over the last dim, with optional affine weight and bias of shape (C). */
export function layerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  const C = checkLayerNorm(x, weight, bias);
  const rows = x.numel() / C;
  const out = emptyUninit([...x.shape]);
  const mean = new Float32Array(rows), rstd = new Float32Array(rows);
  const xv = x.kernelFloats();
  getBackend().layerNorm(xv, weight ? weight.kernelFloats() : null, bias ? bias.kernelFloats() : null, rows, C, eps, out.storage as Float32Array, mean, rstd);
  return recordLayerNorm(out, x, xv, weight, bias, mean, rstd, C);
}

/** The last dim C of x, after checking that weight and bias (when given) are (C). */
function checkLayerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null): number {
  const C = x.shape[x.ndim - 1];
  for (const [name, p] of [['weight', weight], ['bias', bias]] as const) {
    if (p && (p.ndim !== 1 || p.shape[0] !== C)) throw new GradpathError(`layer_norm: ${name} ${shapeStr(p.shape)} does not match the last dim ${C} of ${shapeStr(x.shape)}`);
  }
  return C;
}

function recordLayerNorm(out: Tensor, x: Tensor, xv: Float32Array, weight: Tensor | null, bias: Tensor | null, mean: Float32Array, rstd: Float32Array, C: number): Tensor {
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record(out, 'layerNorm', inputs, { xv, mean, rstd, rows: mean.length, C, hasWeight: !!weight, hasBias: !!bias });
}

/**
 * A transformer block's residual add and the layer norm after it: sum = x + y, out =
 * layer_norm(sum). Where the backend fuses them (native: addLayerNorm) one pass writes both;
 * otherwise an add then layerNorm. Either way the graph holds the same two nodes (an add, a
 * layer norm of the sum), so the backward is theirs.
 */
export function addLayerNorm(x: Tensor, y: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): { sum: Tensor; out: Tensor } {
  const be = getBackend();
  const same = x.ndim === y.ndim && x.shape.every((d, i) => d === y.shape[i]);
  if (!be.addLayerNorm || !same || x.dtype !== 'float32' || y.dtype !== 'float32' || x.numel() === 0) {
    const sum = x.add(y);
    return { sum, out: layerNorm(sum, weight, bias, eps) };
  }
  const C = checkLayerNorm(x, weight, bias), rows = x.numel() / C;
  const sum = emptyUninit([...x.shape]), out = emptyUninit([...x.shape]);
  const mean = new Float32Array(rows), rstd = new Float32Array(rows);
  const sv = sum.data as Float32Array;
  be.addLayerNorm(x.floatValues(), y.floatValues(), weight ? weight.floatValues() : null, bias ? bias.floatValues() : null, rows, C, eps,
    sv, out.data as Float32Array, mean, rstd);
  record(sum, 'add', [x, y]);
  return { sum, out: recordLayerNorm(out, sum, sv, weight, bias, mean, rstd, C) };
}

/**
 * batch_norm for (N, C) or (N, C, L) inputs: normalises each channel C over the other dims.
 * In training it uses the batch statistics and updates the running ones in place.
 */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight: Tensor | null, bias: Tensor | null,
  training: boolean, momentum = 0.1, eps = 1e-5): Tensor {
  if (x.ndim < 2) throw new GradpathError(`batch_norm: expects (N, C) or (N, C, L) input; got ${shapeStr(x.shape)}`);
  const C = x.shape[1];
  const dims = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
  let mean: Tensor, varT: Tensor;
  if (training) {
    const n = numel(x.shape) / C;
    if (n <= 1) throw new GradpathError(`batch_norm: needs more than one value per channel in training; got input ${shapeStr(x.shape)}`);
    mean = x.mean(dims, true);
    varT = x.var(dims, true, false);
    if (runningMean && runningVar) {
      // running stats use the unbiased variance, as in PyTorch
      const m = mean.floatValues(), v = varT.floatValues(), rm = runningMean.data, rv = runningVar.data;
      for (let c = 0; c < C; c++) {
        rm[c] = (1 - momentum) * rm[c] + momentum * m[c];
        rv[c] = (1 - momentum) * rv[c] + momentum * v[c] * (n / (n - 1));
      }
    }
  } else {
    if (!runningMean || !runningVar) throw new GradpathError('batch_norm: eval mode needs running statistics');
    mean = runningMean.reshape(bshape);
    varT = runningVar.reshape(bshape);
  }
  let y = x.sub(mean).div(varT.add(eps).sqrt());
  if (weight) y = y.mul(weight.reshape(bshape));
  if (bias) y = y.add(bias.reshape(bshape));
  return y;
}

/** Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p). */
export function dropout(x: Tensor, p: number, training: boolean, gen: Generator = defaultGenerator): Tensor {
  if (p < 0 || p >= 1) throw new GradpathError(`dropout: p must be in [0, 1); got ${p}`);
  if (!training || p === 0) return x;
  const mask = new Float32Array(x.numel());
  const scale = 1 / (1 - p);
  for (let i = 0; i < mask.length; i++) mask[i] = gen.random() < p ? 0 : scale;
  return x.mul(new Tensor(mask, [...x.shape]));
}

export function oneHot(index: Tensor, numClasses: number): Tensor {
  const idx = index.intValues();
  const out = new Float32Array(idx.length * numClasses);
  for (let i = 0; i < idx.length; i++) {
    if (idx[i] < 0 || idx[i] >= numClasses) throw new GradpathError(`one_hot: index ${idx[i]} is out of range for ${numClasses} classes`);
    out[i * numClasses + idx[i]] = 1;
  }
  return new Tensor(out, [...index.shape, numClasses]);
}

/** Lower (tril) or upper (triu) triangle of the last two dims; k shifts the diagonal. */
function triangle(x: Tensor, k: number, lower: boolean): Tensor {
  if (x.ndim < 2) throw new GradpathError(`${lower ? 'tril' : 'triu'}: needs at least 2 dims; got ${shapeStr(x.shape)}`);
  const r = x.shape[x.ndim - 2], c = x.shape[x.ndim - 1];
  const mask = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) mask[i * c + j] = (lower ? j - i <= k : j - i >= k) ? 1 : 0;
  return x.mul(new Tensor(mask, [r, c]));
}

export function tril(x: Tensor, k = 0): Tensor {
  return triangle(x, k, true);
}

export function triu(x: Tensor, k = 0): Tensor {
  return triangle(x, k, false);
}

/** The k largest values along the last dim, sorted, with their indices. */
export function topk(x: Tensor, k: number, dim = -1): { values: Tensor; indices: Tensor } {
  const d = normDim('topk', dim, x.ndim);
  if (d !== x.ndim - 1) {
    const r = topk(x.transpose(d, -1), k, -1);
    return { values: r.values.transpose(d, -1), indices: r.indices.transpose(d, -1).contiguous() };
  }
  const n = x.shape[d];
  if (!Number.isInteger(k) || k < 1 || k > n) throw new GradpathError(`topk: k = ${k} must be between 1 and ${n}`);
  const rows = x.numel() / n;
  const v = x.floatValues();
  const idx = new Int32Array(rows * k);
  const order = new Array<number>(n);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < n; j++) order[j] = j;
    const o = r * n;
    order.sort((a, b) => v[o + b] - v[o + a] || a - b);
    for (let j = 0; j < k; j++) idx[r * k + j] = order[j];
  }
  const indices = new Tensor(idx, [...x.shape.slice(0, -1), k]);
  return { values: x.gather(-1, indices), indices };
}

/** Samples numSamples indices per row of probs (rows, C) (with replacement), like torch.multinomial. */
export function multinomial(probs: Tensor, numSamples = 1, gen: Generator = defaultGenerator): Tensor {
  const C = probs.shape[probs.ndim - 1];
  const rows = probs.numel() / C;
  const p = probs.floatValues();
  const out = new Int32Array(rows * numSamples);
  for (let r = 0; r < rows; r++) {
    let total = 0;
    for (let j = 0; j < C; j++) {
      const w = p[r * C + j];
      if (!(w >= 0) || !Number.isFinite(w)) throw new GradpathError(`multinomial: probabilities must be finite and non-negative; got ${w}`);
      total += w;
    }
    if (total <= 0) throw new GradpathError('multinomial: a row of probabilities sums to zero');
    for (let s = 0; s < numSamples; s++) {
      let u = gen.random() * total, j = 0;
      for (; j < C - 1; j++) {
        u -= p[r * C + j];
        if (u < 0) break;
      }
      out[r * numSamples + s] = j;
    }
  }
  return new Tensor(out, [...probs.shape.slice(0, -1), numSamples]);
}
