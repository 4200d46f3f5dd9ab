/**
 * Dispatch geometry past the per-dimension workgroup limit: kernels run through a context that
 * claims a limit of 3 workgroups per dimension, so rows, elements and matmul batches that need
 * more are split over a 2-D grid or several dispatches, at sizes small enough for a software
 * adapter. Results must equal the reference's, as with the real limit (same tolerances as
 * kernels-fused and kernels-matmul).
 */
import { test } from 'node:test';
import { referenceBackend as ref } from '../../../src/backends/reference/index.js';
import type { KernelContext } from '../../../src/backends/webgpu/kernel-context.js';
import * as k from '../../../src/backends/webgpu/kernels/index.js';
import { GpuArrays, assertClose, gpuOrReason, randArray, rng } from './gpu-harness.js';

const gpu = await gpuOrReason();
const skip = typeof gpu === 'string' ? gpu : false;

test('kernels split work over a 2-D grid and batch chunks when a dimension is limited', { skip }, async () => {
  if (typeof gpu === 'string') return;
  const small: KernelContext = {
    limits: { ...gpu.limits, maxComputeWorkgroupsPerDimension: 3 },
    dispatch: (wgsl, arrays, uniforms, workgroups) => {
      for (const w of workgroups) if ((w ?? 1) > 3) throw new Error(`dispatch of ${workgroups.join(' x ')} workgroups past the limit`);
      gpu.dispatch(wgsl, arrays, uniforms, workgroups);
    },
    scratch: (n) => gpu.scratch(n),
  };
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

  // a batch of 7 matmuls: dispatches of 3, 3 and 1
  const batch = 7, m = 5, kk = 6, nn = 4;
  const a = randArray(batch * m * kk, r), b = randArray(batch * kk * nn, r);
  const mm = new Float32Array(batch * m * nn);
  ref.matmul(a, b, mm, batch, m, kk, nn, false, false, m * kk, kk * nn);
  const MM = A.output(batch * m * nn);
  k.matmul(small, A.upload(a), A.upload(b), MM, batch, m, kk, nn, false, false, m * kk, kk * nn);
  assertClose(await A.read(MM), mm, 1e-4 * Math.sqrt(kk), 0, 'batched matmul in chunks of the z limit');

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
