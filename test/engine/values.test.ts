import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, crossEntropy, zeros, arange, randn, Generator, manualSeed, multinomial, topk, oneHot, setAnomalyDetection, GradpathError, cat, layerNorm } from '../../src/index.js';

const close = (a: number[], b: number[], tol = 1e-5) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < tol, `index ${i}: ${v} vs ${b[i]}`));

test('softmax and log_softmax on a hand-computed row', () => {
  const x = tensor([[1, 2, 3]]);
  const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
  const s = e[0] + e[1] + e[2];
  close(Array.from(x.softmax(-1).values()), e.map((v) => v / s));
  close(Array.from(x.logSoftmax(-1).values()), e.map((v) => Math.log(v / s)));
  // huge logits stay finite
  close(Array.from(tensor([[1000, 1000]]).softmax(-1).values()), [0.5, 0.5]);
});

test('cross_entropy: hand-computed mean with an ignored target', () => {
  const logits = tensor([[0, 0, 0], [1, 2, 3], [5, 5, 5]]);
  const targets = tensor(new Int32Array([0, 2, -1]));
  const l1 = Math.log(3);
  const l2 = -(3 - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)));
  assert.ok(Math.abs(crossEntropy(logits, targets).item() - (l1 + l2) / 2) < 1e-5);
});

test('attention softmax equals scale, causal mask and softmax composed', async () => {
  const { attentionSoftmax, randn: rn, Generator: G, triu: tu, ones: on } = await import('../../src/index.js');
  const x = rn([2, 3, 5], { generator: new G(1) });
  const fused = attentionSoftmax(x, 0.5, true).values();
  const mask = tu(on([5, 5]), 1).narrow(0, 2, 3); // 3 queries at the end of 5 keys
  const composed = x.mul(0.5).maskedFill(mask, -Infinity).softmax(-1).values();
  fused.forEach((v, i) => assert.ok(Math.abs(v - composed[i]) < 1e-6));
});

test('shape ops keep values in order', () => {
  const x = arange(6).float().reshape(2, 3);
  assert.deepEqual(x.T.tolist(), [[0, 3], [1, 4], [2, 5]]);
  assert.deepEqual(x.narrow(1, 1, 2).tolist(), [[1, 2], [4, 5]]);
  assert.deepEqual(cat([x, x.mul(10)], 0).sum(1).tolist(), [3, 12, 30, 120]);
  assert.deepEqual(x.max(1).tolist(), [2, 5]);
  assert.deepEqual(x.argmax(0).tolist(), [1, 1, 1]);
  assert.deepEqual(x.matmul(x.T).tolist(), [[5, 14], [14, 50]]);
});

test('cat keeps int32 tensors int32 (token sequences) and promotes a mix to float32', () => {
  const a = arange(4).reshape(2, 2), b = arange(2).reshape(2, 1);
  const ints = cat([a.T, b], 1);
  assert.equal(ints.dtype, 'int32');
  assert.deepEqual(ints.tolist(), [[0, 2, 0], [1, 3, 1]]);
  const mixed = cat([a, b.float().mul(0.5)], 1);
  assert.equal(mixed.dtype, 'float32');
  assert.deepEqual(mixed.tolist(), [[0, 1, 0], [2, 3, 0.5]]);
});

test('matmul follows torch.matmul on 1-D operands and broadcast batch dims', () => {
  const v = tensor([1, 2, 3]);
  const dot = v.matmul(tensor([4, 5, 6]));
  assert.deepEqual(dot.shape, []);
  assert.equal(dot.item(), 32);
  const m = arange(6).float().reshape(3, 2); // [[0, 1], [2, 3], [4, 5]]
  assert.deepEqual(v.matmul(m).tolist(), [16, 22]); // (3) @ (3, 2) -> (2)
  assert.deepEqual(m.T.matmul(v).tolist(), [16, 22]); // (2, 3) @ (3) -> (2)
  assert.deepEqual(v.matmul(m.expand(4, 3, 2)).shape, [4, 2]);
  assert.deepEqual(m.expand(4, 3, 2).matmul(tensor([1, -1])).tolist(), Array(4).fill([-1, -1, -1]));
  assert.deepEqual(zeros([2, 1, 3, 4]).matmul(zeros([5, 4, 6])).shape, [2, 5, 3, 6]);
  // each of the (2, 5) batch entries is its own product
  const a = arange(2 * 3 * 4).float().reshape(2, 1, 3, 4), b = arange(5 * 4 * 6).float().reshape(5, 4, 6);
  const c = a.matmul(b);
  for (const [i, j] of [[0, 0], [1, 3], [1, 4]]) {
    assert.deepEqual(c.narrow(0, i, 1).narrow(1, j, 1).reshape(3, 6).tolist(), a.narrow(0, i, 1).reshape(3, 4).matmul(b.narrow(0, j, 1).reshape(4, 6)).tolist());
  }
});

test('layer_norm normalises each row', () => {
  const y = layerNorm(tensor([[1, 2, 3, 4]]), null, null, 0);
  const v = Array.from(y.values());
  assert.ok(Math.abs(v.reduce((a, b) => a + b)) < 1e-5);
  assert.ok(Math.abs(v.reduce((a, b) => a + b * b, 0) / 4 - 1) < 1e-4);
});

test('seeded random numbers repeat exactly', () => {
  const a = randn([5], { generator: new Generator(3) }).tolist();
  const b = randn([5], { generator: new Generator(3) }).tolist();
  assert.deepEqual(a, b);
  manualSeed(9);
  const c = randn([3]).tolist();
  manualSeed(9);
  assert.deepEqual(randn([3]).tolist(), c);
  const g = new Generator(1);
  g.normal();
  const state = g.getState();
  const next = [g.normal(), g.random()];
  g.setState(JSON.parse(JSON.stringify(state)));
  assert.deepEqual([g.normal(), g.random()], next);
});

test('multinomial follows the probabilities; topk and one_hot', () => {
  const g = new Generator(5);
  const s = multinomial(tensor([[0.1, 0.0, 0.9]]), 2000, g).intValues();
  const counts = [0, 0, 0];
  for (const v of s) counts[v]++;
  assert.equal(counts[1], 0);
  assert.ok(counts[2] > 1700 && counts[2] < 1900, `counts ${counts}`);
  const { values, indices } = topk(tensor([[3, 1, 4, 1, 5]]), 3);
  assert.deepEqual(values.tolist(), [[5, 4, 3]]);
  assert.deepEqual(indices.tolist(), [[4, 2, 0]]);
  assert.deepEqual(oneHot(tensor(new Int32Array([2, 0])), 3).tolist(), [[0, 0, 1], [1, 0, 0]]);
});

test('user errors name the op and the values', () => {
  const err = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: Error) => e instanceof GradpathError && re.test(e.message), re.source);
  err(() => zeros([4, 3]).matmul(zeros([5, 2])), /^matmul: cannot multiply \[4, 3\] by \[5, 2\]: inner dimensions 3 and 5 differ$/);
  err(() => zeros([3]).matmul(zeros([4])), /^matmul: cannot take the dot product of \[3\] and \[4\]: sizes 3 and 4 differ$/);
  err(() => zeros([2, 3, 4]).matmul(zeros([5, 4, 2])), /^matmul: .*\[2\].*\[5\]/);
  err(() => crossEntropy(zeros([2, 27]), tensor(new Int32Array([31, 0]))), /^cross_entropy: target 31 is out of range for 27 classes$/);
  err(() => zeros([12]).reshape(5, 3), /^reshape: cannot view 12 elements \[12\] as \[5, 3\]$/);
  err(() => zeros([2, 3]).add(zeros([4])), /^add: cannot broadcast \[2, 3\] with \[4\]/);
  err(() => zeros([2]).sum(3), /^sum: dim 3 is out of range/);
});

test('anomaly mode reports the first op that made a NaN', () => {
  setAnomalyDetection(true);
  try {
    const x = tensor([-1, 1]).setRequiresGrad();
    assert.throws(() => x.sqrt(), /anomaly: sqrt \(forward\) produced NaN/);
  } finally {
    setAnomalyDetection(false);
  }
});

test('gradients accumulate across backward calls; noGrad records nothing', async () => {
  const { noGrad } = await import('../../src/index.js');
  const x = tensor([1, 2, 3]).setRequiresGrad();
  x.mul(2).sum().backward();
  x.mul(3).sum().backward();
  assert.deepEqual(x.grad!.tolist(), [5, 5, 5]);
  const y = noGrad(() => x.mul(2));
  assert.equal(y.requiresGrad, false);
  assert.equal(x.detach().requiresGrad, false);
});

test('a gradient shared by several inputs is never accumulated into twice', () => {
  // t = a + b hands the same gradient tensor to a and b; a then receives a second gradient
  const a = tensor([1, 2]).setRequiresGrad(), b = tensor([3, 4]).setRequiresGrad();
  const t = a.add(b);
  const u = t.mul(2).add(t.mul(3)); // t's gradient is accumulated (2 + 3)
  u.add(a.mul(10)).sum().backward();
  assert.deepEqual(a.grad!.tolist(), [15, 15]);
  assert.deepEqual(b.grad!.tolist(), [5, 5]);
});

test('leaf gradients never share storage, even when one gradient tensor reaches two leaves', () => {
  const a = tensor([1, 2]).setRequiresGrad(), b = tensor([3, 4]).setRequiresGrad();
  a.add(b).mul(2).sum().backward(); // add hands the same gradient to a and b
  assert.notEqual(a.grad!.data, b.grad!.data);
  (a.grad!.data as Float32Array)[0] = 100;
  assert.deepEqual(b.grad!.tolist(), [2, 2]);
});

test('cross_entropy gradient keeps p - 1 exact when p rounds to 1 in float32', () => {
  const logits = tensor([[30, 0, 0]]).setRequiresGrad();
  crossEntropy(logits, tensor(new Int32Array([0]))).backward();
  const g = logits.grad!.floatValues();
  const e = Math.exp(-30), want = -2 * e / (1 + 2 * e);
  assert.ok(Math.abs(g[0] - want) < 1e-6 * Math.abs(want), `dlogit[0] = ${g[0]}, want ${want}`);
  assert.ok(Math.abs(g[1] - e / (1 + 2 * e)) < 1e-6 * e);
});
