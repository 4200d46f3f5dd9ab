/**
 * The WGSL window kernels against the reference backend: im2col / col2im, max and average
 * pooling and their backward passes, batch norm, its backward and its running statistics, over windows with stride,
 * padding and dilation (overlapping and not), odd sizes, k = 1, arrays at offsets.
 *
 * Tolerances: im2col, max pooling and its routing copy values (exact); the adjoints and average
 * pooling sum at most kh * kw terms (1e-6 absolute + 1e-6 relative); batch norm sums N * L values
 * per channel (1e-5 * sqrt(N * L) absolute + 1e-4 relative), as float32 in another order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Window2d } from '../../../src/backends/backend.js';
import { referenceBackend as ref } from '../../../src/backends/reference/index.js';
import * as k from '../../../src/backends/webgpu/kernels/index.js';
import { GpuArrays, assertClose, gpuOrReason, randArray, rng } from './gpu-harness.js';

const gpu = await gpuOrReason();
const skip = typeof gpu === 'string' ? gpu : false;

function win(N: number, C: number, H: number, W: number, kh: number, kw: number, s: number, p: number, d: number): Window2d {
  const OH = Math.floor((H + 2 * p - d * (kh - 1) - 1) / s) + 1, OW = Math.floor((W + 2 * p - d * (kw - 1) - 1) / s) + 1;
  return { N, C, H, W, kh, kw, sh: s, sw: s, ph: p, pw: p, dh: d, dw: d, OH, OW };
}

const windows: Window2d[] = [
  win(1, 1, 1, 1, 1, 1, 1, 0, 1),
  win(2, 3, 5, 7, 3, 3, 1, 1, 1), // conv 3x3 same
  win(1, 2, 17, 9, 3, 2, 2, 1, 1), // stride 2, rectangular kernel
  win(2, 1, 9, 11, 3, 3, 1, 2, 2), // dilation
  win(1, 3, 8, 8, 2, 2, 2, 0, 1), // pooling 2x2
  win(3, 2, 7, 5, 3, 3, 2, 1, 1), // overlapping pooling windows
];
const label = (w: Window2d): string => `N${w.N} C${w.C} ${w.H}x${w.W} k${w.kh}x${w.kw} s${w.sh} p${w.ph} d${w.dh}`;

test('im2col and col2im', { skip }, async () => {
  if (typeof gpu === 'string') return;
  let seed = 1;
  for (const w of windows) {
    const r = rng(seed++);
    const inN = w.N * w.C * w.H * w.W, colN = w.N * w.C * w.kh * w.kw * w.OH * w.OW;
    const x = randArray(inN, r), cols = randArray(colN, r);
    const wantCols = new Float32Array(colN), wantIm = new Float32Array(inN);
    ref.im2col(x, w, wantCols);
    ref.col2im(cols, w, wantIm);
    const A: GpuArrays = new GpuArrays(gpu);
    const C = A.output(colN), I = A.output(inN);
    k.im2col(gpu, A.upload(x), w, C);
    k.col2im(gpu, A.upload(cols), w, I);
    assertClose(await A.read(C), wantCols, 0, 0, `im2col ${label(w)}`);
    assertClose(await A.read(I), wantIm, 1e-6, 1e-6, `col2im ${label(w)}`);
    await A.assertUntouchedAround(C);
    A.release();
  }
});

test('max and average pooling, forward and backward', { skip }, async () => {
  if (typeof gpu === 'string') return;
  let seed = 50;
  for (const w of windows) {
    const r = rng(seed++);
    const inN = w.N * w.C * w.H * w.W, outN = w.N * w.C * w.OH * w.OW;
    const x = randArray(inN, r), g = randArray(outN, r);
    x[0] = x[1]; // a tie: the first wins
    const mx = new Float32Array(outN), idx = new Int32Array(outN), dmax = new Float32Array(inN), avg = new Float32Array(outN), davg = new Float32Array(inN);
    ref.maxPool2d(x, w, mx, idx);
    ref.maxPool2dBackward(g, idx, w, dmax);
    ref.avgPool2d(x, w, avg);
    ref.avgPool2dBackward(g, w, davg);
    const A: GpuArrays = new GpuArrays(gpu);
    const X = A.upload(x), G = A.upload(g);
    const MX = A.output(outN), IDX = A.upload(new Int32Array(outN).fill(-9)), DMAX = A.output(inN), AVG = A.output(outN), DAVG = A.output(inN);
    k.maxPool2d(gpu, X, w, MX, IDX);
    k.maxPool2dBackward(gpu, G, IDX, w, DMAX);
    k.avgPool2d(gpu, X, w, AVG);
    k.avgPool2dBackward(gpu, G, w, DAVG);
    assertClose(await A.read(MX), mx, 0, 0, `maxPool2d ${label(w)}`);
    assert.deepEqual(await A.readInt(IDX), idx, `maxPool2d idx ${label(w)}`);
    assertClose(await A.read(DMAX), dmax, 1e-6, 1e-6, `maxPool2dBackward ${label(w)}`);
    assertClose(await A.read(AVG), avg, 1e-6, 1e-6, `avgPool2d ${label(w)}`);
    assertClose(await A.read(DAVG), davg, 1e-6, 1e-6, `avgPool2dBackward ${label(w)}`);
    A.release();
  }
});

test('batch norm forward and backward: batch statistics and running ones, with and without affine', { skip }, async () => {
  if (typeof gpu === 'string') return;
  let seed = 100;
  for (const [N, C, L] of [[1, 1, 1], [3, 2, 17], [2, 5, 65], [17, 3, 1], [4, 1, 300]]) {
    for (const [batchStats, affine] of [[true, true], [true, false], [false, true]]) {
      const r = rng(seed++);
      const n = N * C * L;
      const x = randArray(n, r, 2), g = randArray(n, r);
      const w = affine ? randArray(C, r) : null, b = affine ? randArray(C, r) : null;
      const mean = batchStats ? new Float32Array(C) : randArray(C, r, 0.3);
      const rstd = batchStats ? new Float32Array(C) : randArray(C, r).map((v) => 1 + Math.abs(v));
      const mean0 = mean.slice(), rstd0 = rstd.slice();
      const out = new Float32Array(n), dx = new Float32Array(n), dw = new Float32Array(C), db = new Float32Array(C);
      ref.batchNorm(x, N, C, L, w, b, 1e-5, batchStats, mean, rstd, out);
      ref.batchNormBackward(g, x, N, C, L, w, batchStats, mean, rstd, dx, affine ? dw : null, affine ? db : null);

      const A = new GpuArrays(gpu);
      const X = A.upload(x), G = A.upload(g), W = w ? A.upload(w) : null, B = b ? A.upload(b) : null;
      const M = A.upload(mean0), R = A.upload(rstd0), O = A.output(n), DX = A.output(n), DW = A.output(C), DB = A.output(C);
      k.batchNorm(gpu, X, N, C, L, W, B, 1e-5, batchStats, M, R, O);
      k.batchNormBackward(gpu, G, X, N, C, L, W, batchStats, M, R, DX, affine ? DW : null, affine ? DB : null);
      const what = `batchNorm N${N} C${C} L${L} batchStats=${batchStats} affine=${affine}`;
      const atol = 1e-5 * Math.sqrt(N * L);
      assertClose(await A.read(M), mean, 1e-6, 1e-5, `${what} mean`);
      assertClose(await A.read(R), rstd, 1e-6, 1e-4, `${what} rstd`);
      assertClose(await A.read(O), out, 1e-5, 1e-4, `${what} out`);
      assertClose(await A.read(DX), dx, atol, 1e-4, `${what} dx`);
      if (affine) {
        assertClose(await A.read(DW), dw, atol, 1e-4, `${what} dweight`);
        assertClose(await A.read(DB), db, atol, 1e-4, `${what} dbias`);
      }
      A.release();
    }
  }
});

test('batch norm running statistics: updated in place as the reference does', { skip }, async () => {
  if (typeof gpu === 'string') return;
  let seed = 200;
  for (const [C, count, momentum] of [[1, 2, 0.1], [3, 51, 0.1], [17, 4, 0.3], [65, 1000, 0.01], [300, 7, 1]]) {
    const r = rng(seed++);
    const mean = randArray(C, r), rstd = randArray(C, r).map((v) => 0.5 + Math.abs(v));
    const rm = randArray(C, r), rv = randArray(C, r).map((v) => Math.abs(v));
    const A = new GpuArrays(gpu);
    const M = A.upload(mean), R = A.upload(rstd), RM = A.upload(rm), RV = A.upload(rv);
    ref.batchNormRunningStats!(mean, rstd, C, count, 1e-5, momentum, rm, rv);
    k.batchNormRunningStats(gpu, M, R, C, count, 1e-5, momentum, RM, RV);
    const what = `batchNormRunningStats C${C} count ${count} momentum ${momentum}`;
    assertClose(await A.read(RM), rm, 1e-6, 1e-5, `${what} running mean`);
    assertClose(await A.read(RV), rv, 1e-6, 1e-5, `${what} running var`);
    A.release();
  }
});
