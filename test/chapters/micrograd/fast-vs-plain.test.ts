import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value, FastValue, MLP, ENGINES, makeMoons, moonsLoss, trainMoons } from '../../../src/chapters/micrograd/index.js';

// The chapter's readable engine (engine.ts) and the fast one (fast_engine.ts) must compute the
// same numbers: same values, same gradients (to rounding: they sum gradients in different orders).
type Ops<T> = { add(o: T | number): T; sub(o: T | number): T; mul(o: T | number): T; div(o: T | number): T; pow(k: number): T; neg(): T; exp(): T; tanh(): T; relu(): T; rsub(o: number): T; rdiv(o: number): T };

function expressions<T extends Ops<T>>(a: T, b: T, c: T): T[] {
  const d = a.mul(b).add(c.pow(3)).tanh();
  const e = a.exp().mul(c).sub(b.div(c.add(3)));
  const f = d.mul(e).add(a.relu().mul(2)).sub(b.neg().pow(0.5));
  return [d, e, f, f.mul(f).div(a.add(5)), a.rsub(1).mul(b.rdiv(2)).relu(), e.pow(-2).add(d.neg().exp())];
}

test('plain and fast engines agree on values and gradients of expressions', () => {
  for (const [x, y, z] of [[0.5, -1.2, 0.3], [-0.7, -0.4, 1.1], [1.3, -2.0, -0.6], [0, -1, 2]]) {
    for (let k = 0; k < 6; k++) {
      const plain = [x, y, z].map((v) => new Value(v));
      const fast = [x, y, z].map((v) => new FastValue(v));
      const p = expressions<Value>(plain[0], plain[1], plain[2])[k];
      const f = expressions<FastValue>(fast[0], fast[1], fast[2])[k];
      p.backward();
      f.backward();
      const close = (u: number, v: number, what: string) => assert.ok(Math.abs(u - v) <= 1e-12 * Math.max(1, Math.abs(u)) || (Number.isNaN(u) && Number.isNaN(v)), `${what}: plain ${u}, fast ${v} (expression ${k} at ${x}, ${y}, ${z})`);
      close(p.data, f.data, 'value');
      for (let i = 0; i < 3; i++) close(plain[i].grad, fast[i].grad, `grad ${'abc'[i]}`);
    }
  }
});

test('plain and fast engines agree on the MLP: loss, every gradient, and a short training', () => {
  const data = makeMoons({ samples: 20, noise: 0.1, seed: 3 });
  const plain = new MLP(2, [8, 8, 1], 11);
  const fast = new MLP(2, [8, 8, 1], 11, ENGINES.fast.leaf);
  const lp = moonsLoss(plain, data), lf = moonsLoss(fast, data);
  lp.loss.backward();
  lf.loss.backward();
  assert.equal(lp.loss.data, lf.loss.data);
  assert.equal(lp.accuracy, lf.accuracy);
  assert.equal(ENGINES.plain.nodes(lp.loss), ENGINES.fast.nodes(lf.loss));
  const gp = plain.parameters().map((q) => q.grad), gf = fast.parameters().map((q) => q.grad);
  assert.ok(gp.some((g) => g !== 0));
  // Gradients are sums over the paths through the graph; the two engines visit them in
  // different orders, so they agree to rounding, not bit for bit.
  gp.forEach((g, i) => assert.ok(Math.abs(g - gf[i]) <= 1e-12 * Math.max(1, Math.abs(g)), `parameter ${i}: plain ${g}, fast ${gf[i]}`));

  const a = trainMoons({ steps: 5, seed: 1337, engine: 'plain' });
  const b = trainMoons({ steps: 5, seed: 1337, engine: 'fast' });
  a.history.forEach((h, i) => {
    assert.ok(Math.abs(h.loss - b.history[i].loss) <= 1e-10, `step ${i}: loss ${h.loss} vs ${b.history[i].loss}`);
    assert.equal(h.accuracy, b.history[i].accuracy);
  });
  assert.ok(Math.abs(a.finalLoss - b.finalLoss) <= 1e-10);
  assert.equal(a.nodesPerStep, b.nodesPerStep);
});
