import { getBackend } from './device.js';
import { Tensor } from './tensor.js';
import { unbroadcast, reshape } from './ops/view.js';
import { numel } from './shape.js';
import { binaryRaw, scalar, whereRaw } from './ops/elementwise.js';
import { softmaxBackward } from './ops/nn.js';
import { floats, floatsUninit } from './pool.js';
import type { Window2d } from '../backends/backend.js';
import * as composed from '../backends/reference/fused.js';
import { conv2dBackward } from './ops/conv.js';
import { windowKernels } from './ops/window.js';

/**
 * What each op saves for its backward rule, besides its inputs and output (null: nothing).
 * The keys are every op that records a node; record() takes exactly this type for its op.
 */
export interface Saved {
  neg: null; exp: null; log: null; sqrt: null; tanh: null; sigmoid: null; relu: null; abs: null;
  /** the input, and the tanh values the forward computed for each element */
  gelu: { xv: Float32Array; th: Float32Array };
  /** the exponent */
  powScalar: number;
  clamp: { min: number; max: number };
  add: null; sub: null; mul: null; div: null; pow: null; max: null; min: null;
  /** the condition (float32, nonzero is true), broadcasting into the output's shape */
  where: Tensor;
  /** the mask (float32, nonzero is filled), broadcasting into the input's shape */
  maskedFill: Tensor;
  /** the input's shape with the reduced dims set to 1 */
  sum: { kept: number[] };
  /** which extreme (for printing only), and the kept shape as for sum */
  extreme: { kept: number[]; op: 'max' | 'min' };
  softmax: null;
  /** the scale applied before the softmax */
  attentionSoftmax: number;
  linear: null;
  /** the pre-activation x W^T + b (rows, n) and GELU's tanh values of it */
  linearGelu: { pre: Float32Array; th: Float32Array; rows: number; n: number };
  /** qkv's values, the attention weights (B, nh, T, T) and the sizes */
  selfAttention: { qv: Float32Array; att: Float32Array; B: number; T: number; nh: number; hs: number; scale: number };
  logSoftmax: null;
  contiguous: null;
  /** the input's shape */
  reshape: number[];
  /** the permutation */
  permute: number[];
  /** the input's shape */
  expand: number[];
  narrow: { dim: number; start: number };
  cat: { dim: number; sizes: number[] };
  matmul: null;
  /** x viewed as (outer, n, inner), gathered along the middle axis by idx */
  indexSelect: { dim: number; idx: Int32Array; outer: number; n: number; inner: number };
  /** for each output element, the flat position in x it was read from */
  gather: Int32Array;
  /** softmax - onehot per row, zero rows where ignored (null when no gradient was wanted), and how many rows count */
  crossEntropy: { grad: Float32Array | null; N: number; C: number; count: number };
  /** the input and each row's mean and reciprocal standard deviation */
  layerNorm: { xv: Float32Array; mean: Float32Array; rstd: Float32Array; rows: number; C: number; hasWeight: boolean; hasBias: boolean };
  /** a custom op (engine/function.ts): its name and its own backward closure */
  function: { name: string; backward: (g: Tensor) => (Tensor | null)[] };
  /** the window geometry, and the input's columns (im2col) when the weight needs a gradient */
  conv2d: { win: Window2d; groups: number; cols: Float32Array | null };
  /** the window geometry and where each output's max came from */
  maxPool2d: { win: Window2d; idx: Int32Array };
  avgPool2d: Window2d;
  /** the input viewed as (N, C, L), each channel's mean and rstd, and whether they were the batch's */
  batchNormChannels: { xv: Float32Array; N: number; C: number; L: number; batchStats: boolean; mean: Float32Array; rstd: Float32Array; hasWeight: boolean; hasBias: boolean };
}

export type OpName = keyof Saved;

/**
 * All of backprop in one table. Each rule gets the output gradient g, the op's inputs, its
 * output and what the op saved, and returns one gradient per input (null: none needed).
 * Rules run under noGrad. Fused rules (gelu, softmax, attentionSoftmax, logSoftmax,
 * crossEntropy, layerNorm) say so.
 */
export type Rule<K extends OpName> = (g: Tensor, inputs: Tensor[], out: Tensor, saved: Saved[K]) => (Tensor | null)[];

// dx = g W and dW = g^T x of a linear layer out = x W^T (+ b), from g viewed as (rows, out)
const linearGrads = (g2: Tensor, x: Tensor, w: Tensor): [Tensor | null, Tensor | null] => [
  x.requiresGrad ? g2.matmul(w).reshape(...x.shape) : null,
  w.requiresGrad ? g2.transpose(0, 1).matmul(x.reshape(-1, w.shape[1])) : null,
];

// fused: uses the tanh values the forward saved
const gelugrad = (g: Tensor, xv: Float32Array, th: Float32Array): Tensor => {
  const gv = g.kernelFloats();
  const out = floatsUninit(xv.length);
  getBackend().geluBackward(gv, xv, th, out);
  return new Tensor(out, [...g.shape]);
};

/** For ops without saved values whose derivative is elementwise: g * d out / d x. */
const unary = (fn: (x: Tensor, out: Tensor) => Tensor): Rule<OpName> => (g, [x], out) => [g.mul(fn(x, out))];

export const derivatives: { [K in OpName]: Rule<K> } = {
  // elementwise unary: d out / d x
  neg: (g) => [g.neg()],
  exp: unary((_, y) => y),
  log: unary((x) => x.pow(-1)),
  sqrt: unary((_, y) => y.mul(2).pow(-1)),
  tanh: unary((_, y) => y.mul(y).neg().add(1)),
  sigmoid: unary((_, y) => y.mul(y.neg().add(1))),
  relu: unary((x) => x.gt(0)),
  gelu: (g, _inputs, _out, { xv, th }) => [gelugrad(g, xv, th)],
  abs: unary((x) => x.gt(0).sub(x.lt(0))),
  powScalar: (g, [x], _out, e) => [g.mul(x.pow(e - 1).mul(e))],
  clamp: (g, [x], _out, { min, max }) => [g.mul(x.ge(min).mul(x.lt(max).add(x.eq(max))))],

  // elementwise binary, with broadcasting undone by summing
  add: (g, [a, b]) => [unbroadcast(g, a.shape), unbroadcast(g, b.shape)],
  sub: (g, [a, b]) => [unbroadcast(g, a.shape), unbroadcast(g.neg(), b.shape)],
  // (a constant factor, such as dropout's mask, gets no gradient computed)
  mul: (g, [a, b]) => [a.requiresGrad ? unbroadcast(g.mul(b), a.shape) : null, b.requiresGrad ? unbroadcast(g.mul(a), b.shape) : null],
  div: (g, [a, b]) => [a.requiresGrad ? unbroadcast(g.div(b), a.shape) : null, b.requiresGrad ? unbroadcast(g.mul(a).div(b.mul(b)).neg(), b.shape) : null],
  pow: (g, [a, b], y) => [unbroadcast(g.mul(b).mul(a.pow(b.sub(1))), a.shape), unbroadcast(g.mul(y).mul(a.log()), b.shape)],
  max: (g, [a, b]) => [unbroadcast(g.mul(binaryRaw('ge', a, b)), a.shape), unbroadcast(g.mul(binaryRaw('lt', a, b)), b.shape)],
  min: (g, [a, b]) => [unbroadcast(g.mul(binaryRaw('ge', b, a)), a.shape), unbroadcast(g.mul(binaryRaw('lt', b, a)), b.shape)],
  // the gradient goes where the condition chose (where itself routes it, so a NaN elsewhere stays out)
  where: (g, [a, b], _out, cond) => [
    a.requiresGrad ? unbroadcast(whereRaw(cond, g, scalar(0), g.shape), a.shape) : null,
    b.requiresGrad ? unbroadcast(whereRaw(cond, scalar(0), g, g.shape), b.shape) : null,
  ],
  maskedFill: (g, _inputs, _out, mask) => [whereRaw(mask, scalar(0), g, g.shape)],

  // reductions: the gradient spreads back over the reduced dims
  sum: (g, [x], _out, { kept }) => [reshape(g, kept).expand(x.shape)],
  extreme: (g, [x], out, { kept }) => {
    // split evenly between ties, like torch.amax
    const mask = x.eq(reshape(out, kept));
    return [mask.mul(reshape(g, kept)).div(mask.sum(kept.map((d, i) => (d === 1 && x.shape[i] !== 1 ? i : -1)).filter((i) => i >= 0), true))];
  },
  // fused: softmax' = y (g - sum(g y)), one pass per row (see softmaxBackward)
  softmax: (g, _inputs, y) => [softmaxBackward(g, y, 1)],
  // fused: scale * y * (g - sum(g y)); masked positions have y = 0 and get no gradient
  attentionSoftmax: (g, _inputs, y, scale) => [softmaxBackward(g, y, scale)],
  // out = x W^T + b (ops/linear.ts): dx = g W, dW = g^T x in W's own (out, in) layout, db = the sum of g's rows
  linear: (g, [x, w, b]) => {
    const g2 = g.reshape(-1, w.shape[0]); // (rows, out)
    return [...linearGrads(g2, x, w), b.requiresGrad ? g2.sum(0) : null];
  },
  // fused: dpre = g * gelu'(pre) and db = its row sum in one pass, then linear's dx and dW from dpre
  linearGelu: (g, [x, w, b], _out, { pre, th, rows, n }) => {
    const be = getBackend();
    const dpre = floatsUninit(rows * n), db = b?.requiresGrad ? floatsUninit(n) : null; // b: absent without a bias
    if (be.biasGeluBackward) be.biasGeluBackward(g.floatValues(), pre, th, rows, n, dpre, db);
    else composed.biasGeluBackward(be, g.floatValues(), pre, th, rows, n, dpre, db);
    return [...linearGrads(new Tensor(dpre, [rows, n]), x, w), db && new Tensor(db, [n])];
  },
  // fused: per head dV = P^T dY, dS = softmax' of dY V^T, dQ = dS K, dK = dS^T Q (ops/attention.ts)
  selfAttention: (g, [qkv], _out, { qv, att, B, T, nh, hs, scale }) => {
    const dqkv = floatsUninit(qv.length);
    getBackend().selfAttentionBackward!(g.kernelFloats(), qv, att, B, T, nh, hs, scale, dqkv);
    return [new Tensor(dqkv, [...qkv.shape])];
  },
  // fused: log_softmax' = g - softmax * sum(g)
  logSoftmax: (g, _inputs, y) => [g.sub(y.exp().mul(g.sum(-1, true)))],

  // views: route the gradient back to the original layout
  contiguous: (g) => [g],
  reshape: (g, _inputs, _out, shape) => [reshape(g, shape)],
  permute: (g, _inputs, _out, dims) => {
    const inverse = new Array<number>(dims.length);
    dims.forEach((d, i) => (inverse[d] = i));
    return [g.permute(inverse)];
  },
  expand: (g, _inputs, _out, shape) => [unbroadcast(g, shape)],
  narrow: (g, [x], _out, { dim, start }) => {
    const dx = floats(x.numel());
    addNarrowed(g, x.shape, dim, start, dx);
    return [new Tensor(dx, [...x.shape])];
  },
  cat: (g, _inputs, _out, { dim, sizes }) => g.split(sizes, dim),

  // dA = g B^T, dB = A^T g (batch broadcasting undone by summing)
  matmul: (g, [a, b]) => [
    a.requiresGrad ? unbroadcast(g.matmul(b.transpose(-1, -2)), a.shape) : null,
    b.requiresGrad ? matmulGradB(g, a, b) : null,
  ],

  // indexing: the backward of a gather is a scatter-add
  indexSelect: (g, [x], _out, { idx, outer, n, inner }) => {
    const dx = floats(x.numel());
    getBackend().scatterAdd(g.kernelFloats(), outer, n, inner, idx, dx);
    return [new Tensor(dx, [...x.shape])];
  },
  gather: (g, [x], _out, pos) => {
    const dx = floats(x.numel()), gv = g.floatValues();
    for (let i = 0; i < pos.length; i++) dx[pos[i]] += gv[i];
    return [new Tensor(dx, [...x.shape])];
  },

  // fused: d loss / d logits = g / count * (softmax - onehot), zero rows for ignored targets: the
  // forward kept softmax - onehot (grad, whenever a gradient is wanted, which is when this rule
  // runs), so the backward is one scaling pass (GPT-2's logits are 12.9M floats) by a scale that
  // stays on the backend (g / count, a one-element op: nothing read back)
  crossEntropy: (g, [logits], _out, { grad, N, C, count }) => {
    const scale = g.div(Math.max(count, 1));
    const d = floatsUninit(N * C);
    getBackend().binary('mul', grad!, [1], scale.kernelFloats(), [0], d, [N * C]);
    return [new Tensor(d, [...logits.shape])];
  },
  // fused: see backends/reference/layernorm.ts
  layerNorm: (g, inputs, _out, { xv, mean, rstd, rows, C, hasWeight, hasBias }) => {
    const weight = hasWeight ? inputs[1] : null;
    const dx = floatsUninit(rows * C);
    const dw = hasWeight ? new Float32Array(C) : null;
    const db = hasBias ? new Float32Array(C) : null;
    getBackend().layerNormBackward(g.kernelFloats(), xv, weight ? weight.kernelFloats() : null, mean, rstd, rows, C, dx, dw, db);
    const grads: Tensor[] = [new Tensor(dx, [...inputs[0].shape])];
    if (dw) grads.push(new Tensor(dw, [C]));
    if (db) grads.push(new Tensor(db, [C]));
    return grads;
  },

  // custom ops (engine/function.ts) carry their own rule: collectives of tensor parallelism
  function: (g, _inputs, _out, { backward }) => backward(g),
  // conv nets: im2col's matmuls transposed (see ops/conv.ts), pooling routed back through its windows
  conv2d: (g, inputs, _out, { win, groups, cols }) => conv2dBackward(g, inputs, win, groups, cols),
  maxPool2d: (g, [x], _out, { win, idx }) => {
    const dx = floatsUninit(x.numel());
    windowKernels().maxPool2dBackward(g.kernelFloats(), idx, win, dx);
    return [new Tensor(dx, [...x.shape])];
  },
  avgPool2d: (g, [x], _out, win) => {
    const dx = floatsUninit(x.numel());
    windowKernels().avgPool2dBackward(g.kernelFloats(), win, dx);
    return [new Tensor(dx, [...x.shape])];
  },
  // fused: see backends/reference/batchnorm.ts
  batchNormChannels: (g, inputs, _out, { xv, N, C, L, batchStats, mean, rstd, hasWeight, hasBias }) => {
    const weight = hasWeight ? inputs[1] : null;
    const dx = floatsUninit(xv.length);
    const dw = hasWeight ? floatsUninit(C) : null;
    const db = hasBias ? floatsUninit(C) : null;
    windowKernels().batchNormBackward(g.kernelFloats(), xv, N, C, L, weight ? weight.kernelFloats() : null, batchStats, mean, rstd, dx, dw, db);
    const grads: Tensor[] = [new Tensor(dx, [...inputs[0].shape])];
    if (dw) grads.push(new Tensor(dw, [C]));
    if (db) grads.push(new Tensor(db, [C]));
    return grads;
  },
};

/**
 * Adds input i's gradient straight into `acc` (a contiguous buffer that autograd owns) instead
 * of returning a new tensor: for rules whose gradient is sparse or covers part of the input, so
 * a big one need not be materialised and then added (GPT-2's token embedding is 154 MB, hit by
 * 256 rows a step; attention's q, k and v are each a third of one tensor).
 */
export type IntoRule<K extends OpName> = (g: Tensor, inputs: Tensor[], out: Tensor, saved: Saved[K], i: number, acc: Tensor) => void;

export const intoRules: { [K in OpName]?: IntoRule<K> } = {
  indexSelect: (g, _inputs, _out, { idx, outer, n, inner }, _i, acc) => {
    getBackend().scatterAdd(g.kernelFloats(), outer, n, inner, idx, acc.storage as Float32Array);
  },
  // attention's q, k and v are narrowed from one tensor: the second and third add into the first's padded gradient
  narrow: (g, _inputs, _out, { dim, start }, _i, acc) => addNarrowed(g, acc.shape, dim, start, acc.storage as Float32Array),
};

/**
 * Adds g, the gradient of a narrow(dim, start, m) of a tensor of `shape`, into acc (that shape,
 * contiguous): a scatter-add of g's m slices along dim, a backend pass, so a device backend keeps
 * it on the device (a strided copy on the host would read g back).
 */
function addNarrowed(g: Tensor, shape: number[], dim: number, start: number, acc: Float32Array): void {
  const idx = Int32Array.from({ length: g.shape[dim] }, (_, j) => start + j);
  getBackend().scatterAdd(g.kernelFloats(), numel(shape.slice(0, dim)), shape[dim], numel(shape.slice(dim + 1)), idx, acc);
}

/** dB for A (..., m, k) @ B (k, n): fold all batch rows of A into one matmul. */
function matmulGradB(g: Tensor, a: Tensor, b: Tensor): Tensor {
  if (b.ndim === 2) {
    const k = a.shape[a.ndim - 1], n = g.shape[g.ndim - 1];
    const a2 = a.ndim === 2 ? a : a.reshape(-1, k), g2 = g.ndim === 2 ? g : g.reshape(-1, n);
    // B = W^T with W (n, k) contiguous (every Linear layer): compute dW = g^T A in W's own
    // layout, so the gradient reaches W contiguous instead of as a transposed view to copy
    if (b.strides[0] === 1 && b.strides[1] === k && k > 1 && n > 1) return g2.transpose(0, 1).matmul(a2).transpose(0, 1);
    if (a.ndim > 2) return a2.transpose(0, 1).matmul(g2);
  }
  return unbroadcast(a.transpose(-1, -2).matmul(g), b.shape);
}
