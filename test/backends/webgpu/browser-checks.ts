/**
 * Every WGSL kernel against the reference backend on one or two awkward shapes each, written to
 * run in a browser page (kernels-browser.test.ts loads it into Chromium) as well as in Node. The
 * tolerances are those of the Node tests (kernels-*.test.ts), which explain them.
 */
import { referenceBackend as ref } from '../../../src/backends/reference/index.js';
import { selfAttention as refAttention, selfAttentionBackward as refAttentionBackward } from '../../../src/backends/reference/attention.js';
import type { Window2d } from '../../../src/backends/backend.js';
import type { GpuExecutor } from '../../../src/backends/webgpu/executor.js';
import * as k from '../../../src/backends/webgpu/kernels/index.js';
import { sum } from '../../../src/backends/webgpu/elementwise/reduce.js';
import { GpuArrays, assertClose, randArray, rng } from './gpu-arrays.js';

/** Runs the checks on `ex`; resolves with their names, or rejects with the first mismatch. */
export async function runChecks(ex: GpuExecutor): Promise<string[]> {
  const done: string[] = [];
  const A = new GpuArrays(ex);
  const r = rng(42);
  try {
    // matmul, every transpose, a broadcast batch; linear
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
      const batch = 3, m = 17, kk = 65, n = 3;
      const a = randArray(m * kk, r), b = randArray(batch * kk * n, r);
      const want = new Float32Array(batch * m * n);
      ref.matmul(a, b, want, batch, m, kk, n, transA, transB, 0, kk * n);
      const out = A.output(batch * m * n);
      k.matmul(ex, A.upload(a), A.upload(b), out, batch, m, kk, n, transA, transB, 0, kk * n);
      assertClose(await A.read(out), want, 1e-4 * Math.sqrt(kk), 0, `matmul transA=${transA} transB=${transB}`);
    }
    done.push('matmul');
    {
      const rows = 5, kk = 17, n = 65;
      const x = randArray(rows * kk, r), w = randArray(n * kk, r), bias = randArray(n, r);
      const want = new Float32Array(rows * n);
      ref.matmul(x, w, want, 1, rows, kk, n, false, true, 0, 0);
      for (let i = 0; i < rows * n; i++) want[i] += bias[i % n];
      const out = A.output(rows * n);
      k.linear(ex, A.upload(x), A.upload(w), A.upload(bias), out, rows, kk, n);
      assertClose(await A.read(out), want, 1e-4 * Math.sqrt(kk + 1), 0, 'linear');
      done.push('linear');
    }
    // row kernels
    {
      const rows = 3, cols = 17, x = randArray(rows * cols, r, 4);
      for (const log of [false, true]) {
        const want = new Float32Array(rows * cols);
        ref.softmax(x, rows, cols, want, log);
        const out = A.output(rows * cols);
        k.softmax(ex, A.upload(x), rows, cols, out, log);
        assertClose(await A.read(out), want, 2e-6 * Math.sqrt(cols), 1e-5, `softmax log=${log}`);
      }
      const s = randArray(12 * 7, r, 3), want = new Float32Array(12 * 7);
      ref.scaledSoftmax(s, 12, 7, 0.37, 4, want);
      const out = A.output(12 * 7);
      k.scaledSoftmax(ex, A.upload(s), 12, 7, 0.37, 4, out);
      assertClose(await A.read(out), want, 2e-6, 1e-5, 'scaledSoftmax');
      done.push('softmax', 'scaledSoftmax');
    }
    {
      const rows = 17, cols = 65;
      const x = randArray(rows * cols, r, 2), g = randArray(rows * cols, r), w = randArray(cols, r), b = randArray(cols, r);
      const out = new Float32Array(rows * cols), mean = new Float32Array(rows), rstd = new Float32Array(rows);
      const dx = new Float32Array(rows * cols), dw = randArray(cols, r), db = randArray(cols, r);
      const DW = A.upload(dw), DB = A.upload(db);
      ref.layerNorm(x, w, b, rows, cols, 1e-5, out, mean, rstd);
      ref.layerNormBackward(g, x, w, mean, rstd, rows, cols, dx, dw, db);
      const X = A.upload(x), W = A.upload(w), O = A.output(rows * cols), M = A.output(rows), R = A.output(rows), DX = A.output(rows * cols);
      k.layerNorm(ex, X, W, A.upload(b), rows, cols, 1e-5, O, M, R);
      k.layerNormBackward(ex, A.upload(g), X, W, M, R, rows, cols, DX, DW, DB);
      assertClose(await A.read(O), out, 1e-5, 1e-5, 'layerNorm');
      assertClose(await A.read(DX), dx, 1e-5 * Math.sqrt(cols), 1e-4, 'layerNormBackward dx');
      assertClose(await A.read(DW), dw, 1e-5 * Math.sqrt(rows), 1e-5, 'layerNormBackward dweight');
      assertClose(await A.read(DB), db, 1e-5 * Math.sqrt(rows), 1e-5, 'layerNormBackward dbias');
      done.push('layerNorm', 'layerNormBackward');
    }
    {
      const rows = 5, cols = 65;
      const x = randArray(rows * cols, r, 5), t = new Int32Array([3, 64, -100, 0, 17]);
      const loss = new Float32Array(1), grad = new Float32Array(rows * cols);
      ref.crossEntropy(x, rows, cols, t, -100, loss, grad);
      const L = A.output(rows), G = A.output(rows * cols), S = A.output(1);
      k.crossEntropyRows(ex, A.upload(x), rows, cols, A.upload(t), -100, L, G);
      sum(ex, L, S, 1 / 4);
      assertClose(await A.read(S), loss, 1e-5 * Math.sqrt(cols), 1e-6, 'crossEntropy loss');
      assertClose(await A.read(G), grad, 2e-6, 1e-5, 'crossEntropy softmax - onehot');
      done.push('crossEntropy');
    }
    {
      const rows = 3, cols = 65;
      const x = randArray(rows * cols, r, 3), g = randArray(rows * cols, r), y = new Float32Array(rows * cols), want = new Float32Array(rows * cols);
      ref.softmax(x, rows, cols, y, false);
      ref.softmaxBackward(g, y, rows, cols, 0.5, want);
      const out = A.output(rows * cols);
      k.softmaxBackward(ex, A.upload(g), A.upload(y), rows, cols, 0.5, out);
      assertClose(await A.read(out), want, 2e-6 * Math.sqrt(cols), 1e-5, 'softmaxBackward');
      done.push('softmaxBackward');
    }
    // elementwise
    {
      const n = 127, x = randArray(n, r, 6), g = randArray(n, r);
      const out = new Float32Array(n), th = new Float32Array(n), dx = new Float32Array(n);
      ref.geluForward(x, out, th);
      ref.geluBackward(g, x, th, dx);
      const X = A.upload(x), O = A.output(n), T = A.output(n), DX = A.output(n);
      k.geluForward(ex, X, O, T);
      k.geluBackward(ex, A.upload(g), X, T, DX);
      assertClose(await A.read(O), out, 2e-6, 1e-5, 'geluForward');
      assertClose(await A.read(DX), dx, 2e-6, 1e-5, 'geluBackward');
      done.push('geluForward', 'geluBackward');
    }
    {
      const n = 65, p = randArray(n, r), g = randArray(n, r), m = randArray(n, r, 0.1), v = randArray(n, r, 0.01).map(Math.abs);
      const s = { beta1: 0.9, beta2: 0.999, eps: 1e-8, stepSize: 1e-3 / (1 - 0.9 ** 2), invSqrtC2: 1 / Math.sqrt(1 - 0.999 ** 2), decay: 1 - 1e-4, l2: 0 };
      const P = A.upload(p), G = A.upload(g), M = A.upload(m), V = A.upload(v);
      k.adam(ex, P, G, M, V, s);
      ref.adam(p, g, m, v, s);
      assertClose(await A.read(P), p, 1e-6, 1e-5, 'adam p');
      assertClose(await A.read(V), v, 1e-8, 1e-5, 'adam v');
      done.push('adam');
    }
    // windows
    {
      const w: Window2d = { N: 2, C: 3, H: 7, W: 5, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, dh: 1, dw: 1, OH: 4, OW: 3 };
      const inN = w.N * w.C * w.H * w.W, colN = w.N * w.C * w.kh * w.kw * w.OH * w.OW, outN = w.N * w.C * w.OH * w.OW;
      const x = randArray(inN, r), cols = randArray(colN, r), g = randArray(outN, r);
      const c = new Float32Array(colN), im = new Float32Array(inN), mx = new Float32Array(outN), idx = new Int32Array(outN);
      const dmax = new Float32Array(inN), avg = new Float32Array(outN), davg = new Float32Array(inN);
      ref.im2col(x, w, c); ref.col2im(cols, w, im); ref.maxPool2d(x, w, mx, idx); ref.maxPool2dBackward(g, idx, w, dmax);
      ref.avgPool2d(x, w, avg); ref.avgPool2dBackward(g, w, davg);
      const X = A.upload(x), G = A.upload(g), C = A.output(colN), IM = A.output(inN), MX = A.output(outN), IDX = A.upload(new Int32Array(outN));
      const DMAX = A.output(inN), AVG = A.output(outN), DAVG = A.output(inN);
      k.im2col(ex, X, w, C); k.col2im(ex, A.upload(cols), w, IM); k.maxPool2d(ex, X, w, MX, IDX); k.maxPool2dBackward(ex, G, IDX, w, DMAX);
      k.avgPool2d(ex, X, w, AVG); k.avgPool2dBackward(ex, G, w, DAVG);
      assertClose(await A.read(C), c, 0, 0, 'im2col');
      assertClose(await A.read(IM), im, 1e-6, 1e-6, 'col2im');
      assertClose(await A.read(MX), mx, 0, 0, 'maxPool2d');
      assertClose(await A.read(DMAX), dmax, 1e-6, 1e-6, 'maxPool2dBackward');
      assertClose(await A.read(AVG), avg, 1e-6, 1e-6, 'avgPool2d');
      assertClose(await A.read(DAVG), davg, 1e-6, 1e-6, 'avgPool2dBackward');
      done.push('im2col', 'col2im', 'maxPool2d', 'maxPool2dBackward', 'avgPool2d', 'avgPool2dBackward');
    }
    {
      const N = 3, C = 2, L = 17, n = N * C * L;
      const x = randArray(n, r, 2), g = randArray(n, r), w = randArray(C, r), b = randArray(C, r);
      const mean = new Float32Array(C), rstd = new Float32Array(C), out = new Float32Array(n), dx = new Float32Array(n);
      const dw = new Float32Array(C), db = new Float32Array(C);
      ref.batchNorm(x, N, C, L, w, b, 1e-5, true, mean, rstd, out);
      ref.batchNormBackward(g, x, N, C, L, w, true, mean, rstd, dx, dw, db);
      const X = A.upload(x), W = A.upload(w), M = A.output(C), R = A.output(C), O = A.output(n), DX = A.output(n), DW = A.output(C), DB = A.output(C);
      k.batchNorm(ex, X, N, C, L, W, A.upload(b), 1e-5, true, M, R, O);
      k.batchNormBackward(ex, A.upload(g), X, N, C, L, W, true, M, R, DX, DW, DB);
      const atol = 1e-5 * Math.sqrt(N * L);
      assertClose(await A.read(O), out, 1e-5, 1e-4, 'batchNorm');
      assertClose(await A.read(DX), dx, atol, 1e-4, 'batchNormBackward dx');
      assertClose(await A.read(DW), dw, atol, 1e-4, 'batchNormBackward dweight');
      assertClose(await A.read(DB), db, atol, 1e-4, 'batchNormBackward dbias');
      done.push('batchNorm', 'batchNormBackward');
    }
    // attention
    {
      const B = 2, T = 9, nh = 2, hs = 5, C = nh * hs, scale = 1 / Math.sqrt(hs);
      const qkv = randArray(B * T * 3 * C, r), dy = randArray(B * T * C, r);
      const y = new Float32Array(B * T * C), att = new Float32Array(B * nh * T * T), dqkv = new Float32Array(B * T * 3 * C);
      refAttention(qkv, B, T, nh, hs, scale, true, y, att);
      refAttentionBackward(dy, qkv, att, B, T, nh, hs, scale, dqkv);
      const QKV = A.upload(qkv), Y = A.output(y.length), ATT = A.output(att.length), DQKV = A.output(dqkv.length);
      k.selfAttention(ex, QKV, B, T, nh, hs, scale, true, Y, ATT);
      k.selfAttentionBackward(ex, A.upload(dy), QKV, ATT, B, T, nh, hs, scale, DQKV);
      const atol = 2e-5 * Math.sqrt(T + hs);
      assertClose(await A.read(Y), y, atol, 1e-4, 'selfAttention y');
      assertClose(await A.read(DQKV), dqkv, atol, 1e-4, 'selfAttentionBackward');
      done.push('selfAttention', 'selfAttentionBackward');
    }
  } finally {
    A.release();
  }
  return done;
}
