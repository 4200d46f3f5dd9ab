import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, randn, gradcheck, applyFunction, noGrad, Generator } from '../../src/engine/index.js';

const gen = new Generator(3);
const param = (shape: number[]) => randn(shape, { generator: gen }).detach().setRequiresGrad();

/** x * 3 + y as a custom op, its backward a closure. */
const custom = (x: Tensor, y: Tensor) => {
  const out = new Tensor(Float32Array.from(x.floatValues(), (v, i) => 3 * v + y.floatValues()[i]), [...x.shape]);
  return applyFunction('Custom', [x, y], out, (g) => [g.mul(3), g]);
};

test('applyFunction: its backward closure drives autograd (gradient check), composed with other ops', () => {
  const { maxError, worst } = gradcheck((x, y) => custom(x.tanh(), y).mul(x), [param([3, 5]), param([3, 5])]);
  assert.ok(maxError < 2e-2, `max error ${maxError} (${worst})`);
});

test('applyFunction: prints as PyTorch names an autograd.Function; records nothing under noGrad', () => {
  const x = param([2]), y = param([2]);
  assert.match(String(custom(x, y)), /grad_fn=<CustomBackward>/);
  assert.equal(noGrad(() => custom(x, y)).node, null);
});

test('applyFunction: the output must be a new tensor', () => {
  const x = param([2]);
  assert.throws(() => applyFunction('Bad', [x], x, (g) => [g]), /output must be a new tensor/);
});
