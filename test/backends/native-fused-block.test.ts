/**
 * The native backend's fusions of a transformer block and its optimizer: linearGelu with
 * biasGeluBackward (the MLP's c_fc and GELU), addLayerNorm (residual add + layer norm) and
 * adamMany (one AdamW step over every parameter). Each primitive against its composition
 * (backends/reference/fused.ts) on the reference backend on awkward shapes; the engine ops'
 * gradients against the composed path and by finite differences; AdamW with decay groups on
 * native against the reference over several steps. Skips, saying why, where the addon is not built.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBackend, withBackend } from '../../src/engine/device.js';
import { loadNative, nativeBuilt, NOT_BUILT } from '../../src/backends/native/index.js';
import { GradpathError } from '../../src/util/errors.js';
import { referenceBackend } from '../../src/backends/reference/index.js';
import * as composed from '../../src/backends/reference/fused.js';
import type { AdamStep } from '../../src/backends/backend.js';
import { linear, linearGelu } from '../../src/engine/ops/linear.js';
import { addLayerNorm, layerNorm } from '../../src/engine/ops/nn.js';
import { gradcheck } from '../../src/engine/gradcheck.js';
import { Tensor } from '../../src/engine/tensor.js';
import { close, rand } from './compare.js';
import { AdamW } from '../../src/optim/adam.js';

const skip = nativeBuilt() ? false : `skipped: ${NOT_BUILT}`;
if (skip) console.log(`# native-fused-block: ${skip}`);

const ROWS = [1, 3, 17, 65, 127, 1025];

const nan = (n: number) => new Float32Array(n).fill(NaN);

test('native linearGelu and biasGeluBackward match their composition on the reference backend on awkward shapes', { skip }, () => {
  const N = loadBackend('native');
  for (const rows of ROWS) {
    for (const [k, n] of [[1, 1], [3, 17], [65, 3], [17, 127]]) {
      const what = `rows ${rows} k ${k} n ${n}`;
      // scale 3: pre-activations over GELU's whole curve, its tails included
      const x = rand(rows * k, rows + k, 3), w = rand(n * k, n), b = rand(n, 3 * n), g = rand(rows * n, 7 + rows);
      const [pre, out, th, pre0, out0, th0] = [0, 1, 2, 3, 4, 5].map(() => nan(rows * n));
      N.linearGelu!(x, w, b, pre, out, th, rows, k, n);
      composed.linearGelu(referenceBackend, x, w, b, pre0, out0, th0, rows, k, n);
      close(pre, pre0, 1e-5, `pre ${what}`);
      close(out, out0, 1e-5, `out ${what}`);
      close(th, th0, 1e-5, `th ${what}`);
      const [d, d0, db, db0] = [nan(rows * n), nan(rows * n), nan(n), nan(n)];
      N.biasGeluBackward!(g, pre0, th0, rows, n, d, db);
      composed.biasGeluBackward(referenceBackend, g, pre0, th0, rows, n, d0, db0);
      close(d, d0, 1e-5, `dpre ${what}`);
      close(db, db0, 1e-5, `dbias ${what}`);
      const d1 = nan(rows * n);
      N.biasGeluBackward!(g, pre0, th0, rows, n, d1, null); // without the bias gradient
      close(d1, d0, 1e-5, `dpre without dbias ${what}`);
      // without a bias (nanoGPT's bias = False)
      const [p1, o1, t1, p2, o2, t2] = [0, 1, 2, 3, 4, 5].map(() => nan(rows * n));
      N.linearGelu!(x, w, null, p1, o1, t1, rows, k, n);
      composed.linearGelu(referenceBackend, x, w, null, p2, o2, t2, rows, k, n);
      close(p1, p2, 1e-5, `pre without bias ${what}`);
      close(o1, o2, 1e-5, `out without bias ${what}`);
    }
  }
});

test('native addLayerNorm matches add + layerNorm on the reference backend on awkward shapes, with and without affine', { skip }, () => {
  const N = loadBackend('native');
  for (const rows of ROWS) {
    for (const cols of [1, 3, 17, 65, 127]) {
      for (const affine of [true, false]) {
        const what = `rows ${rows} cols ${cols}${affine ? ' affine' : ''}`;
        const x = rand(rows * cols, rows * 3 + cols, 2), y = rand(rows * cols, cols + 1);
        const w = affine ? rand(cols, 5, 2) : null, b = affine ? rand(cols, 6) : null;
        const [s, o, s0, o0] = [0, 1, 2, 3].map(() => nan(rows * cols));
        const [m, r, m0, r0] = [0, 1, 2, 3].map(() => nan(rows));
        N.addLayerNorm!(x, y, w, b, rows, cols, 1e-5, s, o, m, r);
        composed.addLayerNorm(referenceBackend, x, y, w, b, rows, cols, 1e-5, s0, o0, m0, r0);
        close(s, s0, 0, `sum ${what}`);
        close(m, m0, 1e-6, `mean ${what}`);
        close(r, r0, 1e-5, `rstd ${what}`);
        close(o, o0, 1e-5, `out ${what}`);
      }
    }
  }
});

test('native adamMany equals adam on each tensor (reference), tensors of awkward sizes with their own scalars', { skip }, () => {
  const N = loadBackend('native');
  const sizes = [1, 3, 17, 65, 127, 1025, 40_000, 2];
  const make = () => sizes.map((n, i) => [rand(n, i + 1), rand(n, i + 50, 0.1), rand(n, i + 90, 0.01), rand(n, i + 130, 0.001).map(Math.abs)]);
  const steps: AdamStep[] = sizes.map((_, i) => ({ beta1: 0.9, beta2: 0.95 + i * 0.005, eps: 1e-8, stepSize: 1e-3 * (i + 1), invSqrtC2: 1.5, decay: 1 - 1e-4 * i, l2: i % 2 ? 0 : 0.01 }));
  const got = make(), want = make();
  for (let t = 0; t < 3; t++) {
    N.adamMany!(got.map((a) => a[0]), got.map((a) => a[1]), got.map((a) => a[2]), got.map((a) => a[3]), steps);
    composed.adamMany(referenceBackend, want.map((a) => a[0]), want.map((a) => a[1]), want.map((a) => a[2]), want.map((a) => a[3]), steps);
  }
  sizes.forEach((n, i) => ['p', 'g', 'm', 'v'].forEach((name, j) => close(got[i][j], want[i][j], 1e-6, `${name} of tensor ${i} (${n})`)));
  assert.throws(() => N.adamMany!([new Float32Array(4)], [new Float32Array(3)], [new Float32Array(4)], [new Float32Array(4)], steps.slice(0, 1)), /shorter/);
});

test('linearGelu: the fused op (native) gives the composed path\'s output and gradients (reference), and passes the gradient check', { skip }, () => {
  const [B, T, k, n] = [3, 17, 24, 65];
  const run = (native: boolean) => withBackend(native ? loadBackend('native') : referenceBackend, () => {
    const x = new Tensor(rand(B * T * k, 1, 2), [B, T, k]).setRequiresGrad();
    const w = new Tensor(rand(n * k, 2), [n, k]).setRequiresGrad();
    const b = new Tensor(rand(n, 3), [n]).setRequiresGrad();
    const y = native ? linearGelu(x, w, b) : linear(x, w, b).gelu();
    if (native) assert.equal(y.node?.op, 'linearGelu');
    y.mul(new Tensor(rand(B * T * n, 5), [B, T, n])).sum().backward();
    return [y, x.grad!, w.grad!, b.grad!].map((t) => t.floatValues());
  });
  const got = run(true), want = run(false);
  ['y', 'dx', 'dW', 'db'].forEach((name, i) => close(got[i], want[i], i < 2 ? 1e-5 : 1e-4, `linearGelu ${name}`));
  const noBias = (native: boolean) => withBackend(native ? loadBackend('native') : referenceBackend, () => {
    const x = new Tensor(rand(T * k, 4, 2), [T, k]).setRequiresGrad(), w = new Tensor(rand(n * k, 8), [n, k]).setRequiresGrad();
    const y = native ? linearGelu(x, w, null) : linear(x, w, null).gelu();
    y.mul(new Tensor(rand(T * n, 9), [T, n])).sum().backward();
    return [y, x.grad!, w.grad!].map((t) => t.floatValues());
  });
  const gotNb = noBias(true), wantNb = noBias(false);
  ['y', 'dx', 'dW'].forEach((name, i) => close(gotNb[i], wantNb[i], i < 2 ? 1e-5 : 1e-4, `linearGelu without bias ${name}`));
  withBackend(loadBackend('native'), () => {
    const x = new Tensor(rand(2 * 3 * 5, 1), [2, 3, 5]).setRequiresGrad();
    const w = new Tensor(rand(4 * 5, 2), [4, 5]).setRequiresGrad();
    const b = new Tensor(rand(4, 3), [4]).setRequiresGrad();
    const { maxError, worst } = gradcheck((xx, ww, bb) => linearGelu(xx, ww, bb), [x, w, b]);
    assert.ok(maxError < 2e-2, worst);
    const nb = gradcheck((xx, ww) => linearGelu(xx, ww, null), [x, w]);
    assert.ok(nb.maxError < 2e-2, nb.worst);
  });
});

test('addLayerNorm: the fused op (native) gives the composed path\'s outputs and gradients (reference), and passes the gradient check', { skip }, () => {
  const [rows, C] = [17, 65];
  const run = (native: boolean) => withBackend(native ? loadBackend('native') : referenceBackend, () => {
    const x = new Tensor(rand(rows * C, 1, 2), [rows, C]).setRequiresGrad();
    const y = new Tensor(rand(rows * C, 2), [rows, C]).setRequiresGrad();
    const w = new Tensor(rand(C, 3, 2), [C]).setRequiresGrad(), b = new Tensor(rand(C, 4), [C]).setRequiresGrad();
    const { sum, out } = addLayerNorm(x, y, w, b);
    // both outputs used, as in a block: the sum goes on down the residual stream
    sum.mul(new Tensor(rand(rows * C, 5), [rows, C])).sum().add(out.mul(new Tensor(rand(rows * C, 6), [rows, C])).sum()).backward();
    return [sum, out, x.grad!, y.grad!, w.grad!, b.grad!].map((t) => t.floatValues());
  });
  const got = run(true), want = run(false);
  ['sum', 'out', 'dx', 'dy', 'dw', 'db'].forEach((name, i) => close(got[i], want[i], i < 4 ? 1e-5 : 1e-4, `addLayerNorm ${name}`));
  withBackend(loadBackend('native'), () => {
    const x = new Tensor(rand(3 * 5, 1), [3, 5]).setRequiresGrad(), y = new Tensor(rand(3 * 5, 2), [3, 5]).setRequiresGrad();
    const w = new Tensor(rand(5, 3, 2), [5]).setRequiresGrad(), b = new Tensor(rand(5, 4), [5]).setRequiresGrad();
    const { maxError, worst } = gradcheck((xx, yy, ww, bb) => {
      const { sum, out } = addLayerNorm(xx, yy, ww, bb);
      return out.add(sum.mul(0.5)); // both outputs in one check
    }, [x, y, w, b], { eps: 1e-2 });
    assert.ok(maxError < 2e-2, worst);
    // a broadcast y takes the composed path: same result as add then layerNorm
    const yb = new Tensor(rand(5, 7), [5]);
    close(addLayerNorm(x, yb, w, b).out.floatValues(), layerNorm(x.add(yb), w, b).floatValues(), 1e-6, 'broadcast y');
  });
});

test('AdamW with decay groups updates every parameter in one adamMany call on native, as the per-tensor path on the reference', { skip }, () => {
  const shapes = [[65, 17], [17], [3], [127, 3], [1]];
  const run = (native: boolean) => withBackend(native ? loadBackend('native') : referenceBackend, () => {
    const ps = shapes.map((s, i) => new Tensor(rand(s.reduce((a, b) => a * b), i + 1), s).setRequiresGrad());
    const opt = new AdamW([{ params: ps.slice(0, 2), weightDecay: 0.1 }, { params: ps.slice(2), weightDecay: 0, lr: 3e-3 }], { lr: 1e-2 });
    for (let t = 0; t < 4; t++) {
      opt.zeroGrad();
      ps.reduce((acc, p, i) => acc.add(p.mul(p).mul(i + 1).sum()), new Tensor(Float32Array.of(0), [])).backward();
      opt.step();
    }
    return ps.map((p) => p.floatValues());
  });
  const got = run(true), want = run(false);
  got.forEach((g, i) => close(g, want[i], 1e-6, `parameter ${i}`));
});

test('GRADPATH_NATIVE_WITHOUT leaves the named fusions out of the backend, and refuses an unknown name in one line', { skip }, () => {
  const before = process.env.GRADPATH_NATIVE_WITHOUT;
  try {
    process.env.GRADPATH_NATIVE_WITHOUT = 'adamMany, linearGelu';
    const b = loadNative();
    assert.equal(b.adamMany, undefined);
    assert.equal(b.linearGelu, undefined);
    assert.equal(b.biasGeluBackward, undefined);
    assert.equal(typeof b.addLayerNorm, 'function');
    process.env.GRADPATH_NATIVE_WITHOUT = 'adamMany,fast';
    assert.throws(() => loadNative(), (e: Error) => e instanceof GradpathError && /no fusion 'fast'/.test(e.message) && !e.message.includes('\n'));
  } finally {
    if (before === undefined) delete process.env.GRADPATH_NATIVE_WITHOUT;
    else process.env.GRADPATH_NATIVE_WITHOUT = before;
  }
});
