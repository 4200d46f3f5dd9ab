import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FastValue as Value } from '../../../src/chapters/micrograd/index.js';
import { tensor, type Tensor } from '../../../src/index.js';

// The same expression built from micrograd Values and from 1-element tensors must agree on the
// value and on every gradient: two independent autograd engines checking each other.
type Num<T> = { add(o: T | number): T; sub(o: T | number): T; mul(o: T | number): T; div(o: T | number): T; pow(k: number): T; exp(): T; log(): T; tanh(): T; sigmoid(): T; relu(): T; neg(): T };

function expression<T extends Num<T>>(a: T, b: T, c: T): T {
  const d = a.mul(b).add(c.pow(2)).tanh();
  const e = a.sigmoid().mul(c.exp()).sub(b.div(c.add(3)));
  const f = d.mul(e).add(a.relu().mul(2)).sub(b.neg().log());
  return f.mul(f).div(a.add(5));
}

test("micrograd's fast engine and the tensor engine agree on an expression and its gradients", () => {
  for (const [x, y, z] of [[0.5, -1.2, 0.3], [-0.7, -0.4, 1.1], [1.3, -2.0, -0.6]]) {
    const [va, vb, vc] = [x, y, z].map((v) => new Value(v));
    const out = expression<Value>(va, vb, vc);
    out.backward();
    const [ta, tb, tc] = [x, y, z].map((v) => tensor([v]).setRequiresGrad());
    const tout = expression<Tensor>(ta, tb, tc);
    tout.sum().backward();
    assert.ok(Math.abs(out.data - tout.item()) < 1e-5, `value ${out.data} vs ${tout.item()}`);
    for (const [v, t] of [[va, ta], [vb, tb], [vc, tc]] as const) {
      assert.ok(Math.abs(v.grad - t.grad!.item()) < 1e-4 * Math.max(1, Math.abs(v.grad)), `grad ${v.grad} vs ${t.grad!.item()}`);
    }
  }
});
