/**
 * The window kernels of a backend (im2col, col2im, pooling, batch norm) against the reference
 * loops (backends/reference/window.ts and batchnorm.ts) on awkward shapes: N, C, H, W over 1, 3,
 * 17, 28, stride 2, padding, dilation, odd windows, max-pool ties and NaN; then through the
 * engine: conv2d (groups too), the pools and BatchNorm2d give the same outputs and gradients as
 * on the reference. Shared by native-window.test.ts and wasm-window.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend, Window2d } from '../../src/backends/backend.js';
import { withBackend } from '../../src/engine/device.js';
import { referenceBackend, referenceWindowKernels as oracle } from '../../src/backends/reference/index.js';
import { conv2d } from '../../src/engine/ops/conv.js';
import { avgPool2d, maxPool2d } from '../../src/engine/ops/pool.js';
import { batchNormChannels } from '../../src/engine/ops/batchnorm.js';
import { Tensor } from '../../src/engine/tensor.js';
import { close, rand } from './compare.js';

/** A window over (N, C, H, W) with the output size PyTorch's formula gives; null where it does not fit. */
export function geometry(N: number, C: number, H: number, W: number, k: [number, number], s: [number, number], p: [number, number], d: [number, number]): Window2d | null {
  const OH = Math.floor((H + 2 * p[0] - d[0] * (k[0] - 1) - 1) / s[0]) + 1, OW = Math.floor((W + 2 * p[1] - d[1] * (k[1] - 1) - 1) / s[1]) + 1;
  if (OH < 1 || OW < 1) return null;
  return { N, C, H, W, kh: k[0], kw: k[1], sh: s[0], sw: s[1], ph: p[0], pw: p[1], dh: d[0], dw: d[1], OH, OW };
}

/** Image sizes and window settings crossed: every combination that fits. */
function windows(): Window2d[] {
  const out: Window2d[] = [];
  const images: [number, number, number, number][] = [[1, 1, 1, 1], [3, 1, 17, 3], [1, 3, 28, 28], [2, 17, 3, 17], [3, 3, 17, 28]];
  const settings: [[number, number], [number, number], [number, number], [number, number]][] = [
    [[1, 1], [1, 1], [0, 0], [1, 1]],
    [[3, 3], [1, 1], [1, 1], [1, 1]],
    [[2, 2], [2, 2], [0, 0], [1, 1]],
    [[3, 2], [2, 1], [1, 0], [1, 1]],
    [[5, 3], [1, 2], [2, 1], [1, 1]],
    [[3, 3], [2, 3], [2, 1], [2, 3]],
    [[1, 5], [3, 1], [0, 2], [1, 2]],
  ];
  for (const [N, C, H, W] of images) for (const [k, s, p, d] of settings) {
    const w = geometry(N, C, H, W, k, s, p, d);
    if (w) out.push(w);
  }
  return out;
}

const name = (w: Window2d) => `x (${w.N}, ${w.C}, ${w.H}, ${w.W}) k ${w.kh}x${w.kw} s ${w.sh}x${w.sw} p ${w.ph}x${w.pw} d ${w.dh}x${w.dw}`;

function leaf(shape: number[], seed: number): Tensor {
  return new Tensor(rand(shape.reduce((a, b) => a * b, 1), seed), shape).setRequiresGrad();
}

/** Registers the kernel and engine tests for the backend `backend()` gives, called `label` in test names. */
export function windowKernelTests(label: string, backend: () => Backend, skip: string | false): void {
  test(`${label} im2col and col2im match the reference on awkward windows`, { skip }, () => {
    const N = backend();
    for (const w of windows()) {
      const nIn = w.N * w.C * w.H * w.W, nCols = w.N * w.C * w.kh * w.kw * w.OH * w.OW;
      const x = rand(nIn, nIn + 3), cols = rand(nCols, nCols + 5);
      const [got, want] = [0, 1].map(() => new Float32Array(nCols).fill(NaN));
      N.im2col!(x, w, got);
      oracle.im2col(x, w, want);
      close(got, want, 0, `im2col ${name(w)}`);
      const [gx, wx] = [0, 1].map(() => new Float32Array(nIn).fill(NaN));
      N.col2im!(cols, w, gx);
      oracle.col2im(cols, w, wx);
      close(gx, wx, 1e-6, `col2im ${name(w)}`);
    }
  });

  test(`${label} max and average pooling, forward and backward, match the reference (ties and NaN too)`, { skip }, () => {
    const N = backend();
    for (const w of windows()) {
      const nIn = w.N * w.C * w.H * w.W, nOut = w.N * w.C * w.OH * w.OW;
      // coarse values make ties, which both must break the same way (the first wins)
      const x = rand(nIn, nIn + 11).map((v) => Math.round(4 * v));
      if (nIn > 5) x[5] = NaN;
      const g = rand(nOut, nOut + 13);
      const [out, out0] = [0, 1].map(() => new Float32Array(nOut).fill(-7));
      const [idx, idx0] = [0, 1].map(() => new Int32Array(nOut).fill(-7));
      N.maxPool2d!(x, w, out, idx);
      oracle.maxPool2d(x, w, out0, idx0);
      assert.deepEqual(idx, idx0, `maxPool2d indices ${name(w)}`);
      assert.deepEqual(out, out0, `maxPool2d ${name(w)}`);
      const [dx, dx0] = [0, 1].map(() => new Float32Array(nIn).fill(NaN));
      N.maxPool2dBackward!(g, idx0, w, dx);
      oracle.maxPool2dBackward(g, idx0, w, dx0);
      close(dx, dx0, 1e-6, `maxPool2dBackward ${name(w)}`);
      const xs = rand(nIn, nIn + 17);
      N.avgPool2d!(xs, w, out);
      oracle.avgPool2d(xs, w, out0);
      close(out, out0, 1e-6, `avgPool2d ${name(w)}`);
      N.avgPool2dBackward!(g, w, dx);
      oracle.avgPool2dBackward(g, w, dx0);
      close(dx, dx0, 1e-6, `avgPool2dBackward ${name(w)}`);
    }
  });

  test(`${label} batch norm, forward and backward, matches the reference (batch statistics or running ones, affine or not)`, { skip }, () => {
    const B = backend();
    const shapes: [number, number, number][] = [[1, 1, 1], [3, 17, 1], [17, 3, 28], [2, 28, 17 * 17], [128, 3, 65]];
    for (const [N, C, L] of shapes) for (const batchStats of [true, false]) for (const affine of [true, false]) {
      const what = `(N ${N}, C ${C}, L ${L})${batchStats ? ' batch stats' : ' running stats'}${affine ? ' affine' : ''}`;
      const n = N * C * L;
      // an offset mean, so a one-pass variance would lose digits
      const x = rand(n, n + 1, 3).map((v) => v + 10), g = rand(n, n + 2);
      const weight = affine ? rand(C, C + 3) : null, bias = affine ? rand(C, C + 4) : null;
      const stats = () => batchStats ? [new Float32Array(C), new Float32Array(C)] : [rand(C, 9).map((v) => v + 10), rand(C, 10).map((v) => 1 + Math.abs(v))];
      const [mean, rstd] = stats(), [mean0, rstd0] = [Float32Array.from(mean), Float32Array.from(rstd)];
      const [out, out0] = [0, 1].map(() => new Float32Array(n).fill(NaN));
      B.batchNorm!(x, N, C, L, weight, bias, 1e-5, batchStats, mean, rstd, out);
      oracle.batchNorm(x, N, C, L, weight, bias, 1e-5, batchStats, mean0, rstd0, out0);
      close(mean, mean0, 1e-6, `mean ${what}`);
      close(rstd, rstd0, 1e-6, `rstd ${what}`);
      close(out, out0, 2e-6, `batchNorm ${what}`);
      const [dx, dx0] = [0, 1].map(() => new Float32Array(n).fill(NaN));
      const [dw, dw0, db, db0] = [0, 1, 2, 3].map(() => (affine ? new Float32Array(C).fill(NaN) : null));
      B.batchNormBackward!(g, x, N, C, L, weight, batchStats, mean0, rstd0, dx, dw, db);
      oracle.batchNormBackward(g, x, N, C, L, weight, batchStats, mean0, rstd0, dx0, dw0, db0);
      close(dx, dx0, 1e-5, `batchNormBackward dx ${what}`);
      if (affine) {
        close(dw!, dw0!, 1e-5, `batchNormBackward dweight ${what}`);
        close(db!, db0!, 1e-5, `batchNormBackward dbias ${what}`);
      }
    }
  });

  /** Runs fn on the reference and on the backend under test; returns both results (output, then gradients). */
    function bothBackends(fn: () => Float32Array[]): [Float32Array[], Float32Array[]] {
      return [withBackend(referenceBackend, fn), withBackend(backend(), fn)];
    }


  test(`through the engine: conv2d (stride, padding, dilation, groups), pools and BatchNorm give the same values and gradients on ${label}`, { skip }, () => {
    const cases: { x: number[]; w: number[]; s: number; p: number; d: number; g: number }[] = [
      { x: [1, 1, 28, 28], w: [3, 1, 3, 3], s: 1, p: 1, d: 1, g: 1 },
      { x: [3, 6, 17, 17], w: [9, 2, 3, 3], s: 2, p: 1, d: 1, g: 3 },
      { x: [17, 3, 3, 28], w: [1, 3, 1, 5], s: 1, p: 2, d: 2, g: 1 },
    ];
    for (const c of cases) {
      const [ref, nat] = bothBackends(() => {
        const x = leaf(c.x, 1), w = leaf(c.w, 2), b = leaf([c.w[0]], 3);
        const y = conv2d(x, w, b, { stride: c.s, padding: c.p, dilation: c.d, groups: c.g });
        const bn = batchNormChannels(y, null, null, leaf([c.w[0]], 4), leaf([c.w[0]], 5), true, 0.1, 1e-5);
        // the average pool reads y itself, so the bias (which BatchNorm would cancel) gets a gradient
        const pooled = maxPool2d(bn, 2, { stride: 1, padding: 1 }).add(avgPool2d(y, 3, { stride: 2, padding: 1 }).sum());
        pooled.mul(new Tensor(rand(pooled.numel(), 6), [...pooled.shape])).sum().backward();
        return [pooled.floatValues(), x.grad!.floatValues(), w.grad!.floatValues(), b.grad!.floatValues()];
      });
      ['output', 'dx', 'dweight', 'dbias'].forEach((what, i) => close(nat[i], ref[i], 2e-4, `${what}: x (${c.x.join(', ')}) w (${c.w.join(', ')}) s ${c.s} p ${c.p} d ${c.d} groups ${c.g}`));
    }
  });
}
