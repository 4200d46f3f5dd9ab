/**
 * The webgpu backend: the primitive list of backend.ts on a device reached through the bridge.
 * Each primitive binds its arrays (inputs uploaded where the host has them, outputs marked as
 * living on the device: storage.ts) and records kernels; nothing is read back until the engine
 * syncs an array to read it on the host.
 */
import type { AdamStep, Backend, BinaryOp, ReduceOp, UnaryOp, Window2d } from '../backend.js';
import * as K from './kernels/index.js';
import type { DeviceBridge } from './bridge.js';
import type { GpuArray } from './kernel-context.js';
import { Residency } from './storage.js';
import { clamp, unary } from './elementwise/unary.js';
import { binary } from './elementwise/binary.js';
import { argmax, reduce, sum, sumSquares } from './elementwise/reduce.js';
import { where } from './elementwise/where.js';
import { copyStrided, gather, groupRows, scatterAdd } from './elementwise/indexing.js';

type HostArray = Float32Array | Int32Array | Float64Array;

export interface WebGpuBackend extends Backend {
  readonly bridge: DeviceBridge;
  /** Makes an array's host copy current before the host reads or writes it (see storage.ts). */
  sync(a: HostArray, overwrite?: boolean): void;
  /** Waits until the device has run everything recorded; throws the first error it raised. */
  fence(): void;
}

export function webgpuBackend(bridge: DeviceBridge): WebGpuBackend {
  const res = new Residency(bridge);

  /** An input that shares a buffer with an output of the same dispatch is copied aside (WebGPU forbids the aliasing). */
  const apart = (input: GpuArray, outputs: GpuArray[]): GpuArray => {
    if (!outputs.some((o) => o.buffer === input.buffer)) return input;
    const tmp = bridge.scratch(input.length);
    copyStrided(bridge, input, [input.length], [1], 0, tmp);
    return tmp;
  };
  const inputs = (arrays: (Float32Array | Int32Array)[], outputs: GpuArray[]): GpuArray[] => arrays.map((a) => apart(res.input(a), outputs));
  /** A window kernel with one input and one output (im2col, col2im, average pooling and its backward). */
  const windowPass = (kernel: (ctx: DeviceBridge, x: GpuArray, w: Window2d, out: GpuArray) => void) => (x: Float32Array, w: Window2d, out: Float32Array): void => {
    const o = res.output(out);
    kernel(bridge, inputs([x], [o])[0], w, o);
  };

  /** One read-back of one float for all the arrays (the clipping norm of a whole model). */
  const sumSquaresMany = (xs: Float32Array[]): number => {
    const some = xs.filter((x) => x.length > 0);
    if (some.length === 0) return 0;
    const result = new Float32Array(1);
    const o = res.output(result);
    sumSquares(bridge, inputs(some, [o]), o);
    res.sync(result);
    return result[0];
  };

  return {
    name: 'webgpu',
    bridge,
    sync: (a, overwrite) => res.sync(a, overwrite),
    fence: () => bridge.fence(),

    unary(op: UnaryOp, x: Float32Array, out: Float32Array): void {
      const o = res.output(out);
      const [xi] = inputs([x], [o]);
      unary(bridge, op, xi, o);
    },

    binary(op: BinaryOp, a: Float32Array, aStrides: number[], b: Float32Array, bStrides: number[], out: Float32Array, outShape: number[]): void {
      const inPlace = a.buffer === out.buffer && a.byteOffset === out.byteOffset;
      const o = res.output(out, inPlace);
      const [bi] = inputs([b], [o]);
      const ai = inPlace ? o : inputs([a], [o])[0];
      binary(bridge, op, ai, aStrides, bi, bStrides, o, outShape, inPlace);
    },

    reduce(op: ReduceOp, x: Float32Array, outer: number, dim: number, inner: number, out: Float32Array): void {
      const o = res.output(out);
      const [xi] = inputs([x], [o]);
      reduce(bridge, op, xi, outer, dim, inner, o);
    },

    sumSquares: (x: Float32Array): number => sumSquaresMany([x]),
    sumSquaresMany,

    clamp(x: Float32Array, min: number, max: number, out: Float32Array): void {
      const o = res.output(out);
      clamp(bridge, inputs([x], [o])[0], min, max, o);
    },

    where(cond: Float32Array, condStrides: number[], a: Float32Array, aStrides: number[], b: Float32Array, bStrides: number[],
      out: Float32Array, outShape: number[]): void {
      const o = res.output(out);
      const [ci, ai, bi] = inputs([cond, a, b], [o]);
      where(bridge, ci, condStrides, ai, aStrides, bi, bStrides, o, outShape);
    },

    argmax(x: Float32Array, outer: number, dim: number, inner: number, out: Int32Array): void {
      const o = res.output(out);
      const [xi] = inputs([x], [o]);
      argmax(bridge, xi, outer, dim, inner, o);
    },

    gather(x: Float32Array, outer: number, dim: number, inner: number, idx: Int32Array, out: Float32Array): void {
      const o = res.output(out);
      const [xi, ii] = inputs([x, idx], [o]);
      gather(bridge, xi, outer, dim, inner, ii, o);
    },

    scatterAdd(src: Float32Array, outer: number, dim: number, inner: number, idx: Int32Array, out: Float32Array): void {
      res.sync(idx); // grouped on the host, where indices almost always are
      const { rows, starts } = groupRows(idx, dim);
      const o = res.output(out, true);
      const [si, ri, sti] = inputs([src, rows, starts], [o]);
      scatterAdd(bridge, si, outer, dim, inner, ri, sti, o);
    },

    copyStrided<T extends Float32Array | Int32Array>(x: T, shape: number[], strides: number[], offset: number, out: T): void {
      const o = res.output(out);
      const [xi] = inputs([x], [o]);
      copyStrided(bridge, xi, shape, strides, offset, o);
    },

    matmul(a: Float32Array, b: Float32Array, out: Float32Array, batch: number, m: number, k: number, n: number,
      transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number): void {
      const o = res.output(out);
      const [ai, bi] = inputs([a, b], [o]);
      K.matmul(bridge, ai, bi, o, batch, m, k, n, transA, transB, aBatchStride, bBatchStride);
    },

    linear(x: Float32Array, w: Float32Array, bias: Float32Array, out: Float32Array, rows: number, k: number, n: number): void {
      const o = res.output(out);
      const [xi, wi, bi] = inputs([x, w, bias], [o]);
      K.linear(bridge, xi, wi, bi, o, rows, k, n);
    },

    softmax(x: Float32Array, rows: number, cols: number, out: Float32Array, log: boolean): void {
      const o = res.output(out);
      K.softmax(bridge, inputs([x], [o])[0], rows, cols, o, log);
    },

    scaledSoftmax(x: Float32Array, rows: number, cols: number, scale: number, queries: number, out: Float32Array): void {
      const o = res.output(out);
      K.scaledSoftmax(bridge, inputs([x], [o])[0], rows, cols, scale, queries, o);
    },

    layerNorm(x: Float32Array, weight: Float32Array | null, bias: Float32Array | null, rows: number, cols: number, eps: number,
      out: Float32Array, mean: Float32Array, rstd: Float32Array): void {
      const outs = [res.output(out), res.output(mean), res.output(rstd)];
      const [xi] = inputs([x], outs);
      const [wi, bi] = [weight, bias].map((a) => (a ? inputs([a], outs)[0] : null));
      K.layerNorm(bridge, xi, wi, bi, rows, cols, eps, outs[0], outs[1], outs[2]);
    },

    layerNormBackward(g: Float32Array, x: Float32Array, weight: Float32Array | null, mean: Float32Array, rstd: Float32Array,
      rows: number, cols: number, dx: Float32Array, dweight: Float32Array | null, dbias: Float32Array | null): void {
      const dxo = res.output(dx);
      const [dwo, dbo] = [dweight, dbias].map((a) => (a ? res.output(a, true) : null)); // accumulated into
      const outs = [dxo, dwo, dbo].filter((o): o is GpuArray => o !== null);
      const [gi, xi, mi, ri] = inputs([g, x, mean, rstd], outs);
      const wi = weight ? inputs([weight], outs)[0] : null;
      K.layerNormBackward(bridge, gi, xi, wi, mi, ri, rows, cols, dxo, dwo, dbo);
    },

    adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, s: AdamStep): void {
      const outs = [res.output(p, true), res.output(m, true), res.output(v, true)];
      K.adam(bridge, outs[0], inputs([g], outs)[0], outs[1], outs[2], s);
    },

    geluForward(x: Float32Array, out: Float32Array, th: Float32Array): void {
      const outs = [res.output(out), res.output(th)];
      K.geluForward(bridge, inputs([x], outs)[0], outs[0], outs[1]);
    },

    geluBackward(g: Float32Array, x: Float32Array, th: Float32Array, dx: Float32Array): void {
      const o = res.output(dx);
      const [gi, xi, ti] = inputs([g, x, th], [o]);
      K.geluBackward(bridge, gi, xi, ti, o);
    },

    crossEntropy(x: Float32Array, rows: number, cols: number, t: Int32Array, ignore: number, loss: Float32Array, grad: Float32Array | null): void {
      res.sync(t); // the targets are counted on the host, where they almost always are
      let count = 0;
      for (let i = 0; i < rows; i++) if (t[i] !== ignore) count++;
      const g = grad ? res.output(grad) : null;
      const rowLoss = bridge.scratch(rows);
      const [xi, ti] = inputs([x, t], g ? [g] : []);
      K.crossEntropyRows(bridge, xi, rows, cols, ti, ignore, rowLoss, g);
      if (count === 0) {
        res.sync(loss, true);
        loss[0] = NaN;
        return;
      }
      // the mean stays on the device: loss.item() is its one read
      const o = res.output(loss);
      sum(bridge, rowLoss, o, 1 / count);
    },

    softmaxBackward(g: Float32Array, y: Float32Array, rows: number, cols: number, scale: number, out: Float32Array): void {
      const o = res.output(out);
      const [gi, yi] = inputs([g, y], [o]);
      K.softmaxBackward(bridge, gi, yi, rows, cols, scale, o);
    },

    selfAttention(qkv: Float32Array, B: number, T: number, nh: number, hs: number, scale: number, causal: boolean, y: Float32Array, att: Float32Array): void {
      const outs = [res.output(y), res.output(att)];
      K.selfAttention(bridge, inputs([qkv], outs)[0], B, T, nh, hs, scale, causal, outs[0], outs[1]);
    },

    selfAttentionBackward(dy: Float32Array, qkv: Float32Array, att: Float32Array, B: number, T: number, nh: number, hs: number,
      scale: number, dqkv: Float32Array): void {
      const o = res.output(dqkv);
      const [dyi, qi, ai] = inputs([dy, qkv, att], [o]);
      K.selfAttentionBackward(bridge, dyi, qi, ai, B, T, nh, hs, scale, o);
    },

    im2col: windowPass(K.im2col),
    col2im: windowPass(K.col2im),

    maxPool2d(x: Float32Array, w: Window2d, out: Float32Array, idx: Int32Array): void {
      const outs = [res.output(out), res.output(idx)];
      K.maxPool2d(bridge, inputs([x], outs)[0], w, outs[0], outs[1]);
    },

    maxPool2dBackward(g: Float32Array, idx: Int32Array, w: Window2d, out: Float32Array): void {
      const o = res.output(out);
      const [gi, ii] = inputs([g, idx], [o]);
      K.maxPool2dBackward(bridge, gi, ii, w, o);
    },

    avgPool2d: windowPass(K.avgPool2d),
    avgPool2dBackward: windowPass(K.avgPool2dBackward),

    batchNorm(x: Float32Array, N: number, C: number, L: number, weight: Float32Array | null, bias: Float32Array | null,
      eps: number, batchStats: boolean, mean: Float32Array, rstd: Float32Array, out: Float32Array): void {
      // with batchStats the statistics are written, else read (eval mode's running statistics)
      const outs = [res.output(out), ...(batchStats ? [res.output(mean), res.output(rstd)] : [])];
      const [xi] = inputs([x], outs);
      const [mi, ri] = batchStats ? [outs[1], outs[2]] : inputs([mean, rstd], outs);
      const [wi, bi] = [weight, bias].map((a) => (a ? inputs([a], outs)[0] : null));
      K.batchNorm(bridge, xi, N, C, L, wi, bi, eps, batchStats, mi, ri, outs[0]);
    },

    batchNormBackward(g: Float32Array, x: Float32Array, N: number, C: number, L: number, weight: Float32Array | null,
      batchStats: boolean, mean: Float32Array, rstd: Float32Array, dx: Float32Array, dweight: Float32Array | null, dbias: Float32Array | null): void {
      const dxo = res.output(dx);
      const [dwo, dbo] = [dweight, dbias].map((a) => (a ? res.output(a) : null));
      const outs = [dxo, dwo, dbo].filter((o): o is GpuArray => o !== null);
      const [gi, xi, mi, ri] = inputs([g, x, mean, rstd], outs);
      const wi = weight ? inputs([weight], outs)[0] : null;
      K.batchNormBackward(bridge, gi, xi, N, C, L, wi, batchStats, mi, ri, dxo, dwo, dbo);
    },

    batchNormRunningStats(mean: Float32Array, rstd: Float32Array, C: number, count: number, eps: number, momentum: number,
      runningMean: Float32Array, runningVar: Float32Array): void {
      const outs = [res.output(runningMean, true), res.output(runningVar, true)]; // updated in place
      const [mi, ri] = inputs([mean, rstd], outs);
      K.batchNormRunningStats(bridge, mi, ri, C, count, eps, momentum, outs[0], outs[1]);
    },
  };
}

