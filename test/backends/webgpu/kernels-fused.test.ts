/**
 * The fused WGSL kernels against the reference backend: softmax / log-softmax, scaled causal
 * softmax and the softmax backward (also in place), layer norm and its backward (dweight / dbias
 * accumulate), GELU and its backward, cross-entropy (row losses, their mean, softmax - onehot with
 * zero rows where ignored), Adam(W). Shapes are awkward (1, 3, 17, 65, 127
 * rows and columns, rows of one element), every array sits at an offset in a larger buffer, and
 * outputs start as NaN.
 *
 * Tolerances (float32, sums in a different order than the reference's): values are O(1), so the
 * outputs that are ratios and exps (softmax, GELU, Adam) hold to 2e-6 absolute + 1e-5 relative;
 * outputs that are sums over a row or a column of n terms (layer norm's gradients, lse) to
 * 1e-5 * sqrt(n) absolute + 1e-5 relative. A wrong index or a missing term is O(0.1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend as ref } from '../../../src/backends/reference/index.js';
import * as gpuKernels from '../../../src/backends/webgpu/kernels/index.js';
import { GpuArrays, assertClose, gpuOrReason, limitedContext, randArray, rng } from './gpu-harness.js';
import { unary } from '../../../src/backends/webgpu/elementwise/unary.js';
import { sum } from '../../../src/backends/webgpu/elementwise/reduce.js';
import { crossEntropyRows as refCrossEntropyRows } from '../../../src/backends/reference/cross-entropy.js';

const gpu = await gpuOrReason();
const skip = typeof gpu === 'string' ? gpu : false;
const k = gpuKernels;
const shapes: [number, number][] = [[1, 1], [3, 17], [17, 3], [5, 65], [2, 127], [4, 300], [65, 1], [1, 700]];

test('softmax and log-softmax rows', { skip }, async () => {
  if (typeof gpu === 'string') return;
  let seed = 1;
  for (const [rows, cols] of shapes) {
    for (const log of [false, true]) {
      const x = randArray(rows * cols, rng(seed++), 4);
      const want = new Float32Array(rows * cols);
      ref.softmax(x, rows, cols, want, log);
      const A = new GpuArrays(gpu);
      const out = A.output(rows * cols);
      k.softmax(gpu, A.upload(x), rows, cols, out, log);
      assertClose(await A.read(out), want, 2e-6 * Math.sqrt(cols), 1e-5, `softmax ${rows}x${cols} log=${log}`);
      await A.assertUntouchedAround(out);
      A.release();
    }
  }
});

test('scaled softmax, causal and not', { skip }, async () => {
  if (typeof gpu === 'string') return;
  let seed = 50;
  // (rows, cols, queries): queries 0 is unmasked; rows are blocks of `queries` (batch x heads x T)
  for (const [rows, cols, queries] of [[1, 1, 1], [17, 17, 17], [6, 3, 3], [12, 7, 4], [130, 65, 65], [3, 300, 0], [2, 5, 1]]) {
    const x = randArray(rows * cols, rng(seed++), 3);
    const want = new Float32Array(rows * cols);
    ref.scaledSoftmax(x, rows, cols, 0.37, queries, want);
    const A = new GpuArrays(gpu);
    const out = A.output(rows * cols);
    k.scaledSoftmax(gpu, A.upload(x), rows, cols, 0.37, queries, out);
    assertClose(await A.read(out), want, 2e-6, 1e-5, `scaledSoftmax ${rows}x${cols} q=${queries}`);
    A.release();
  }
});

test('layer norm forward and backward, with and without weight and bias', { skip }, async () => {
  if (typeof gpu === 'string') return;
  let seed = 100;
  for (const [rows, cols] of [[1, 1], [3, 17], [17, 3], [130, 65], [2, 300], [65, 1]] as [number, number][]) {
    for (const affine of [true, false]) {
      const r = rng(seed++);
      const x = randArray(rows * cols, r, 2), g = randArray(rows * cols, r);
      const w = affine ? randArray(cols, r) : null, b = affine ? randArray(cols, r) : null;
      const out = new Float32Array(rows * cols), mean = new Float32Array(rows), rstd = new Float32Array(rows);
      ref.layerNorm(x, w, b, rows, cols, 1e-5, out, mean, rstd);
      const dx = new Float32Array(rows * cols);
      const dw0 = randArray(cols, r), db0 = randArray(cols, r); // accumulate onto these
      const dw = dw0.slice(), db = db0.slice();
      ref.layerNormBackward(g, x, w, mean, rstd, rows, cols, dx, affine ? dw : null, affine ? db : null);

      const A = new GpuArrays(gpu);
      const X = A.upload(x), G = A.upload(g), W = w ? A.upload(w) : null, B = b ? A.upload(b) : null;
      const O = A.output(rows * cols), M = A.output(rows), R = A.output(rows);
      k.layerNorm(gpu, X, W, B, rows, cols, 1e-5, O, M, R);
      const DX = A.output(rows * cols), DW = A.upload(dw0), DB = A.upload(db0);
      k.layerNormBackward(gpu, G, X, W, M, R, rows, cols, DX, affine ? DW : null, affine ? DB : null);
      const what = `layerNorm ${rows}x${cols} affine=${affine}`;
      assertClose(await A.read(O), out, 1e-5, 1e-5, `${what} out`);
      assertClose(await A.read(M), mean, 1e-6, 1e-5, `${what} mean`);
      assertClose(await A.read(R), rstd, 1e-6, 1e-4, `${what} rstd`);
      assertClose(await A.read(DX), dx, 1e-5 * Math.sqrt(cols), 1e-4, `${what} dx`);
      assertClose(await A.read(DW), dw, 1e-5 * Math.sqrt(rows), 1e-5, `${what} dweight`);
      assertClose(await A.read(DB), db, 1e-5 * Math.sqrt(rows), 1e-5, `${what} dbias`);
      A.release();
    }
  }
});

test('GELU forward and backward', { skip }, async () => {
  if (typeof gpu === 'string') return;
  for (const n of [1, 3, 17, 65, 127, 1000]) {
    const r = rng(n);
    const x = randArray(n, r, 6), g = randArray(n, r);
    if (n === 1000) { x[0] = 60; x[1] = -60; } // tanh saturates: no NaN
    const out = new Float32Array(n), th = new Float32Array(n), dx = new Float32Array(n);
    ref.geluForward(x, out, th);
    ref.geluBackward(g, x, th, dx);
    const A = new GpuArrays(gpu);
    const X = A.upload(x), O = A.output(n), T = A.output(n), DX = A.output(n);
    k.geluForward(gpu, X, O, T);
    k.geluBackward(gpu, A.upload(g), X, T, DX);
    assertClose(await A.read(O), out, 2e-6, 1e-5, `gelu ${n}`);
    assertClose(await A.read(T), th, 2e-6, 1e-5, `gelu tanh ${n}`);
    assertClose(await A.read(DX), dx, 2e-6, 1e-5, `gelu backward ${n}`);
    A.release();
  }
});

test('cross-entropy: each row\'s loss, softmax - onehot (zero rows where ignored), the mean by the sum kernel', { skip }, async () => {
  if (typeof gpu === 'string') return;
  let seed = 200;
  for (const [rows, cols] of [[1, 1], [3, 17], [17, 3], [5, 65], [2, 1000]] as [number, number][]) {
    for (const withGrad of [true, false]) {
      const r = rng(seed++);
      const x = randArray(rows * cols, r, 5);
      const t = Int32Array.from({ length: rows }, (_, i) => (i % 3 === 2 ? -100 : Math.floor(((r() + 1) / 2) * cols)));
      if (rows > 1) x[t[0]] = 40; // a row whose target's p rounds to 1 in float32
      const loss = new Float32Array(1), grad = new Float32Array(rows * cols).fill(NaN), lse = new Float64Array(rows);
      ref.crossEntropy(x, rows, cols, t, -100, loss, withGrad ? grad : null);
      refCrossEntropyRows(x, rows, cols, t, -100, lse, null, null);
      const rowLoss = Array.from(t, (ti, i) => (ti === -100 ? 0 : lse[i] - x[i * cols + ti]));
      const count = t.filter((ti) => ti !== -100).length;
      const A = new GpuArrays(gpu);
      const L = A.output(rows), G = A.output(rows * cols), S = A.output(1);
      k.crossEntropyRows(gpu, A.upload(x), rows, cols, A.upload(t), -100, L, withGrad ? G : null);
      sum(gpu, L, S, 1 / count);
      const what = `crossEntropy ${rows}x${cols} grad=${withGrad}`;
      assertClose(await A.read(L), rowLoss, 1e-5 * Math.sqrt(cols), 1e-6, `${what} row losses`);
      assertClose(await A.read(S), loss, 1e-5 * Math.sqrt(cols), 1e-6, `${what} mean`);
      if (withGrad) {
        const g = await A.read(G);
        assertClose(g, grad, 2e-6, 1e-5, `${what} softmax - onehot`);
        if (rows > 1) assert.ok(g[t[0]] < 0, `${what}: p_target - 1 is exact (nonzero) where p rounds to 1: ${g[t[0]]}`);
      }
      await A.assertUntouchedAround(G);
      A.release();
    }
  }
});

test('softmax backward, scaled, and in place over its gradient (attention\'s)', { skip }, async () => {
  if (typeof gpu === 'string') return;
  let seed = 300;
  for (const [rows, cols] of shapes) {
    const r = rng(seed++);
    const x = randArray(rows * cols, r, 3), g = randArray(rows * cols, r);
    const y = new Float32Array(rows * cols), want = new Float32Array(rows * cols);
    ref.softmax(x, rows, cols, y, false);
    ref.softmaxBackward(g, y, rows, cols, 0.37, want);
    const A = new GpuArrays(gpu);
    const Y = A.upload(y), out = A.output(rows * cols), G = A.upload(g);
    k.softmaxBackward(gpu, G, Y, rows, cols, 0.37, out);
    k.softmaxBackward(gpu, G, Y, rows, cols, 0.37, G); // in place: G becomes the result
    assertClose(await A.read(out), want, 2e-6 * Math.sqrt(cols), 1e-5, `softmaxBackward ${rows}x${cols}`);
    assertClose(await A.read(G), want, 2e-6 * Math.sqrt(cols), 1e-5, `softmaxBackward in place ${rows}x${cols}`);
    await A.assertUntouchedAround(out);
    A.release();
  }
});

test('Adam and AdamW steps in place', { skip }, async () => {
  if (typeof gpu === 'string') return;
  for (const [n, wd] of [[1, 0], [17, 0.1], [1000, 0]] as [number, number][]) {
    const r = rng(n + 7);
    const p = randArray(n, r), g = randArray(n, r), m = randArray(n, r, 0.1), v = randArray(n, r, 0.01).map(Math.abs);
    const lr = 1e-3, t = 3;
    const s = { beta1: 0.9, beta2: 0.999, eps: 1e-8, stepSize: lr / (1 - 0.9 ** t), invSqrtC2: 1 / Math.sqrt(1 - 0.999 ** t), decay: wd ? 1 - lr * wd : 1, l2: 0 };
    const A = new GpuArrays(gpu);
    const P = A.upload(p), G = A.upload(g), M = A.upload(m), V = A.upload(v);
    k.adam(gpu, P, G, M, V, s);
    ref.adam(p, g, m, v, s);
    assertClose(await A.read(P), p, 1e-6, 1e-5, `adam p ${n}`);
    assertClose(await A.read(M), m, 1e-7, 1e-5, `adam m ${n}`);
    assertClose(await A.read(V), v, 1e-8, 1e-5, `adam v ${n}`);
    A.release();
  }
});

test('row and element kernels split work over a 2-D grid when a dimension is limited (a context claiming 3 workgroups)', { skip }, async () => {
  if (typeof gpu === 'string') return;
  const small = limitedContext(gpu, 3);
  const r = rng(7);
  const A = new GpuArrays(gpu);

  // 8 rows: a 3 x 3 grid of workgroups, one left over
  const rows = 8, cols = 5;
  const x = randArray(rows * cols, r, 3);
  const sm = new Float32Array(rows * cols);
  ref.softmax(x, rows, cols, sm, false);
  const X = A.upload(x), SM = A.output(rows * cols);
  k.softmax(small, X, rows, cols, SM, false);
  assertClose(await A.read(SM), sm, 2e-6, 1e-5, 'softmax on a limited grid');

  // 1000 elements: 4 workgroups of 256 on a 2 x 2 grid
  const n = 1000;
  const gx = randArray(n, r, 4);
  const gelu = new Float32Array(n), th = new Float32Array(n);
  ref.geluForward(gx, gelu, th);
  const G = A.output(n), T = A.output(n);
  k.geluForward(small, A.upload(gx), G, T);
  assertClose(await A.read(G), gelu, 2e-6, 1e-5, 'gelu on a limited grid');
  // the elementwise kernels share that grid (elementwise/grid.ts): unary over the same 2 x 2 grid
  const E = A.output(n);
  unary(small, 'exp', A.upload(gx), E);
  const ex = new Float32Array(n);
  ref.unary('exp', gx, ex);
  assertClose(await A.read(E), ex, 2e-6, 1e-5, 'exp on a limited grid');

  // layer norm backward over 8 rows with dweight: the column pass on a limited grid
  const w = randArray(cols, r), gr = randArray(rows * cols, r);
  const out = new Float32Array(rows * cols), mean = new Float32Array(rows), rstd = new Float32Array(rows);
  const dx = new Float32Array(rows * cols), dw = new Float32Array(cols), db = new Float32Array(cols);
  ref.layerNorm(x, w, null, rows, cols, 1e-5, out, mean, rstd);
  ref.layerNormBackward(gr, x, w, mean, rstd, rows, cols, dx, dw, db);
  const W = A.upload(w), O = A.output(rows * cols), M = A.output(rows), R = A.output(rows);
  const DX = A.output(rows * cols), DW = A.upload(new Float32Array(cols)), DB = A.upload(new Float32Array(cols));
  k.layerNorm(small, X, W, null, rows, cols, 1e-5, O, M, R);
  k.layerNormBackward(small, A.upload(gr), X, W, M, R, rows, cols, DX, DW, DB);
  assertClose(await A.read(O), out, 1e-5, 1e-5, 'layerNorm on a limited grid');
  assertClose(await A.read(DX), dx, 1e-5, 1e-4, 'layerNormBackward dx on a limited grid');
  assertClose(await A.read(DW), dw, 1e-5, 1e-5, 'layerNormBackward dweight on a limited grid');
  assertClose(await A.read(DB), db, 1e-5, 1e-5, 'layerNormBackward dbias on a limited grid');
  A.release();
});
