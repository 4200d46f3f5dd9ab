import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, optim, nn } from '../../src/index.js';

test('AdamW: one step against a hand-computed update', () => {
  const p = tensor([1.0, -2.0]).setRequiresGrad();
  const opt = new optim.AdamW([p], { lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.5 });
  p.grad = tensor([0.5, -1.0]);
  opt.step();
  // step 1: m_hat = g, v_hat = g^2, update = lr * g/|g| = 0.1 * sign(g); decay: p *= 1 - lr*wd = 0.95
  const expected = [1.0 * 0.95 - 0.1, -2.0 * 0.95 + 0.1];
  p.data.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-6, `${v} vs ${expected[i]}`));
});

test('Adam (coupled L2) and SGD with momentum', () => {
  const p = tensor([1.0]).setRequiresGrad();
  const sgd = new optim.SGD([p], { lr: 0.1, momentum: 0.9 });
  p.grad = tensor([1.0]);
  sgd.step(); // buf = 1, p = 0.9
  sgd.step(); // buf = 1.9, p = 0.71
  assert.ok(Math.abs(p.data[0] - 0.71) < 1e-6);
});

test('parameter groups: weight decay only where asked', () => {
  const w = tensor([1.0]).setRequiresGrad(), b = tensor([1.0]).setRequiresGrad();
  const opt = new optim.AdamW([{ params: [w], weightDecay: 0.1 }, { params: [b], weightDecay: 0 }], { lr: 0.1 });
  w.grad = tensor([0]);
  b.grad = tensor([0]);
  opt.step();
  assert.ok(Math.abs(w.data[0] - 0.99) < 1e-6);
  assert.equal(b.data[0], 1);
});

test('schedules and clipping', () => {
  const s = optim.cosineWithWarmup({ maxLr: 1, minLr: 0.1, warmupSteps: 10, decaySteps: 110 });
  assert.equal(s(0), 0.1);
  assert.equal(s(9), 1);
  assert.ok(Math.abs(s(60) - 0.55) < 1e-9);
  assert.equal(s(200), 0.1);
  assert.equal(optim.stepLR(1, 10, 0.5)(25), 0.25);
  const p = tensor([0.0, 0.0]).setRequiresGrad();
  p.grad = tensor([3, 4]);
  assert.equal(optim.clipGradNorm([p], 1), 5);
  assert.ok(Math.abs(Math.hypot(...(p.grad.data as Float32Array)) - 1) < 1e-5);
});

test('decayGroups: matrices and embeddings decay; biases and LayerNorm gains do not', () => {
  class Net extends nn.Module {
    wte = new nn.Embedding(5, 4);
    ln = new nn.LayerNorm(4);
    fc = new nn.Linear(4, 3);
  }
  const net = new Net();
  const [decay, plain] = optim.decayGroups(net, 0.1);
  const names = new Map(net.namedParameters().map(([n, p]) => [p, n]));
  assert.deepEqual(decay.params.map((p) => names.get(p)), ['wte.weight', 'fc.weight']);
  assert.deepEqual(plain.params.map((p) => names.get(p)), ['ln.weight', 'ln.bias', 'fc.bias']);
  assert.equal(decay.weightDecay, 0.1);
  assert.equal(plain.weightDecay, 0);
});
