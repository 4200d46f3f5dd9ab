import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, tensor, gradcheck, Generator } from '../../src/engine/index.js';
import { maxPool2d, avgPool2d } from '../../src/engine/ops/pool.js';
import { batchNormChannels } from '../../src/engine/ops/batchnorm.js';
import { batchNorm } from '../../src/engine/ops/nn.js';
import { ones, zeros } from '../../src/engine/ops/create.js';
import { withBackend } from '../../src/engine/device.js';
import { referenceBackend } from '../../src/backends/reference/index.js';

const gen = new Generator(11);
const param = (shape: number[]) => randn(shape, { generator: gen }).detach().setRequiresGrad();

test('max_pool2d picks each window\'s max, and its gradient goes there', () => {
  const x = tensor([[[[1, 5, 2, 0], [3, 4, 8, 1], [0, 2, 6, 7], [9, 1, 3, 3]]]]).setRequiresGrad();
  const y = maxPool2d(x, 2);
  assert.deepEqual(y.tolist(), [[[[5, 8], [9, 7]]]]);
  y.sum().backward();
  assert.deepEqual(x.grad!.tolist(), [[[[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0]]]]);
});

test('avg_pool2d counts the padding as zeros (PyTorch\'s default)', () => {
  const x = tensor([[[[1, 2], [3, 4]]]]);
  assert.deepEqual(avgPool2d(x, 2).tolist(), [[[[2.5]]]]);
  // padding 1, window 2, stride 2: each corner window holds one value and three zeros
  assert.deepEqual(avgPool2d(x, 2, { padding: 1 }).tolist(), [[[[0.25, 0.5], [0.75, 1]]]]);
});

const poolCases: [string, number[], number | [number, number], { stride?: number; padding?: number }][] = [
  ['2x2', [2, 3, 4, 6], 2, {}],
  ['3x3 stride 2 padding 1, odd size', [1, 2, 7, 5], 3, { stride: 2, padding: 1 }],
  ['overlapping 3x2 stride 1', [3, 1, 5, 5], [3, 2], { stride: 1 }],
];
for (const [name, shape, k, opts] of poolCases) {
  test(`gradcheck: max_pool2d ${name}`, () => {
    // distinct values a finite difference cannot swap
    const x = tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => ((i * 37) % 101) / 10)).reshape([...shape]).detach().setRequiresGrad();
    const { maxError, worst } = gradcheck((x) => maxPool2d(x, k, opts), [x], { eps: 1e-3 });
    assert.ok(maxError < 2e-2, `${maxError} ${worst}`);
  });
  test(`gradcheck: avg_pool2d ${name}`, () => {
    const { maxError, worst } = gradcheck((x) => avgPool2d(x, k, opts), [param([...shape])]);
    assert.ok(maxError < 2e-2, `${maxError} ${worst}`);
  });
}

test('batch_norm over channels matches the composed batch_norm, and updates the same running statistics', () => {
  for (const shape of [[4, 3, 5, 5], [2, 17, 3, 1], [8, 1]]) {
    const x = randn(shape, { generator: gen }).mul(3).add(1);
    const C = shape[1];
    const w = randn([C], { generator: gen }), b = randn([C], { generator: gen });
    const [rm1, rv1, rm2, rv2] = [zeros([C]), ones([C]), zeros([C]), ones([C])];
    const fused = batchNormChannels(x, rm1, rv1, w, b, true).floatValues();
    const composed = batchNorm(x, rm2, rv2, w, b, true).floatValues();
    for (let i = 0; i < fused.length; i++) assert.ok(Math.abs(fused[i] - composed[i]) < 1e-4, `${shape}: ${fused[i]} vs ${composed[i]}`);
    for (let c = 0; c < C; c++) {
      assert.ok(Math.abs(rm1.data[c] - rm2.data[c]) < 1e-5);
      assert.ok(Math.abs(rv1.data[c] - rv2.data[c]) < 1e-4 * Math.max(1, rv2.data[c]), `running var ${rv1.data[c]} vs ${rv2.data[c]}`);
    }
    const e1 = batchNormChannels(x, rm1, rv1, w, b, false).floatValues(), e2 = batchNorm(x, rm2, rv2, w, b, false).floatValues();
    for (let i = 0; i < e1.length; i++) assert.ok(Math.abs(e1[i] - e2[i]) < 1e-4);
  }
});

for (const training of [true, false]) {
  test(`gradcheck: batch_norm over channels (${training ? 'batch statistics' : 'running statistics'})`, () => {
    const rm = randn([3], { generator: gen }), rv = randn([3], { generator: gen }).abs().add(0.5);
    const { maxError, worst } = gradcheck((x, w, b) => batchNormChannels(x, rm, rv, w, b, training, 0), [param([4, 3, 2, 3]), param([3]), param([3])]);
    assert.ok(maxError < 2e-2, `${maxError} ${worst}`);
  });
}

test('pooling and batch norm on the default backend agree with the reference on awkward shapes', () => {
  for (const shape of [[1, 1, 1, 1], [3, 3, 17, 17], [2, 65, 9, 7], [1, 127, 5, 3]]) {
    const x = randn(shape, { generator: gen }), w = randn([shape[1]], { generator: gen }), b = randn([shape[1]], { generator: gen });
    const run = () => {
      const xs = x.detach().setRequiresGrad();
      const y = maxPool2d(xs, 3, { stride: 2, padding: 1 }).add(avgPool2d(xs, 3, { stride: 2, padding: 1 }));
      const z = shape[0] * shape[2] * shape[3] > 1 ? batchNormChannels(y, null, null, w, b, true) : y;
      z.mul(z).sum().backward();
      return [z.floatValues(), xs.grad!.floatValues()];
    };
    const fast = run(), ref = withBackend(referenceBackend, run);
    fast.forEach((v, i) => v.forEach((a, j) => assert.ok(Math.abs(a - ref[i][j]) < 1e-4 * Math.max(1, Math.abs(ref[i][j])), `${shape} ${i}`)));
  }
});
