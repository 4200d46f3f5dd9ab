import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value, topologicalOrder } from '../../../src/chapters/micrograd/engine.js';
import { FastValue, topologicalOrder as fastTopologicalOrder } from '../../../src/chapters/micrograd/fast_engine.js';

// Both engines pass the same checks; each test below runs on each (the fast one has log and sigmoid too).
type V = Value | FastValue;
const ENGINES: [string, (x: number) => any][] = [['plain', (x) => new Value(x)], ['fast', (x) => new FastValue(x)]];

/** Central finite difference of f at x. */
function numericGrad(f: (x: number) => number, x: number, h = 1e-6): number {
  return (f(x + h) - f(x - h)) / (2 * h);
}

const close = (actual: number, expected: number, tol: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what}: got ${actual}, expected ${expected}`);

// Each binary op at a pair of points (away from kinks), checked for both inputs.
const binary: [string, (a: any, b: any) => V, (a: number, b: number) => number][] = [
  ['add', (a, b) => a.add(b), (a, b) => a + b],
  ['sub', (a, b) => a.sub(b), (a, b) => a - b],
  ['mul', (a, b) => a.mul(b), (a, b) => a * b],
  ['div', (a, b) => a.div(b), (a, b) => a / b],
];

for (const [engine, make] of ENGINES) for (const [name, op, ref] of binary) {
  test(`${engine} ${name}: value and both gradients match finite differences`, () => {
    for (const [x, y] of [[1.3, -0.7], [-2.1, 3.4], [0.5, 0.5]]) {
      const a = make(x), b = make(y);
      const out = op(a, b);
      out.backward();
      close(out.data, ref(x, y), 1e-12, `${name}(${x}, ${y})`);
      close(a.grad, numericGrad((t) => ref(t, y), x), 1e-6, `d${name}/da`);
      close(b.grad, numericGrad((t) => ref(x, t), y), 1e-6, `d${name}/db`);
    }
  });
}

const unary: [string, (a: any) => V, (a: number) => number, number[]][] = [
  ['neg', (a) => a.neg(), (a) => -a, [-1.5, 2]],
  ['pow 3', (a) => a.pow(3), (a) => a ** 3, [-1.2, 0.8]],
  ['pow -1.5', (a) => a.pow(-1.5), (a) => a ** -1.5, [0.4, 2.5]],
  ['pow 0.5', (a) => a.pow(0.5), (a) => Math.sqrt(a), [0.3, 4]],
  ['exp', (a) => a.exp(), Math.exp, [-2, 0.3, 1.7]],
  ['log', (a) => a.log(), Math.log, [0.2, 1, 5]],
  ['tanh', (a) => a.tanh(), Math.tanh, [-1.1, 0, 0.6]],
  ['sigmoid', (a) => a.sigmoid(), (a) => 1 / (1 + Math.exp(-a)), [-3, 0.2, 40]],
  ['relu', (a) => a.relu(), (a) => Math.max(0, a), [-0.5, 0.7]],
  ['rsub', (a) => a.rsub(2), (a) => 2 - a, [-1.5, 0.4]],
  ['rdiv', (a) => a.rdiv(3), (a) => 3 / a, [-1.5, 0.4]],
];

for (const [engine, make] of ENGINES) for (const [name, op, ref, points] of unary) {
  if (engine === 'plain' && (name === 'log' || name === 'sigmoid')) continue; // fast engine only
  test(`${engine} ${name}: value and gradient match finite differences`, () => {
    for (const x of points) {
      const a = make(x);
      const out = op(a);
      out.backward();
      close(out.data, ref(x), 1e-12, `${name}(${x})`);
      close(a.grad, numericGrad(ref, x), 1e-6, `d${name}/da at ${x}`);
    }
  });
}

for (const [engine, make] of ENGINES) {
test(`${engine}: numbers are accepted as operands`, () => {
  const a = make(3);
  assert.equal(a.add(2).data, 5);
  assert.equal(a.sub(1).data, 2);
  assert.equal(a.mul(4).data, 12);
  assert.equal(a.div(2).data, 1.5);
  const out = a.mul(4).add(1);
  out.backward();
  assert.equal(a.grad, 4);
});

test(`${engine}: micrograd's documented example: values and gradients`, () => {
  const a = make(-4.0);
  const b = make(2.0);
  let c = a.add(b);
  let d = a.mul(b).add(b.pow(3));
  c = c.add(c.add(1));
  c = c.add(c.add(1).add(a.neg())); // c += 1 + c + (-a)
  d = d.add(d.mul(2).add(b.add(a).relu()));
  d = d.add(d.mul(3).add(b.sub(a).relu()));
  const e = c.sub(d);
  const f = e.pow(2);
  let g = f.div(2.0);
  g = g.add(make(10.0).div(f));
  g.backward();
  assert.ok(Math.abs(g.data - 24.7041) < 1e-4, `g = ${g.data}`);
  assert.ok(Math.abs(a.grad - 138.8338) < 1e-4, `dg/da = ${a.grad}`);
  assert.ok(Math.abs(b.grad - 645.5773) < 1e-4, `dg/db = ${b.grad}`);
});

test(`${engine}: a value used twice gets both contributions`, () => {
  const x = make(3);
  const y = x.mul(x).add(x); // x^2 + x: dy/dx = 2x + 1
  y.backward();
  assert.equal(x.grad, 7);
});

test(`${engine}: gradients accumulate across backward calls; zeroing resets them`, { skip: engine === 'plain' ? 'the plain engine, like micrograd, re-sends stale intermediate gradients on a second backward' : false }, () => {
  const x = make(0.5);
  const w = make(-2);
  const y = x.mul(w).tanh().mul(3); // intermediate nodes in between the leaves and the root
  y.backward();
  const once = [x.grad, w.grad];
  y.backward();
  close(x.grad, 2 * once[0], 1e-12, 'x after two calls');
  close(w.grad, 2 * once[1], 1e-12, 'w after two calls');
  x.grad = 0;
  w.grad = 0;
  y.backward();
  close(x.grad, once[0], 1e-12, 'x after zeroing');
});

}

test('fast: backward handles a deep chain without recursion (100,000 nodes)', () => {
  const x = new FastValue(1);
  let y = x;
  for (let i = 0; i < 100_000; i++) y = y.add(0);
  y.backward();
  assert.equal(x.grad, 1);
  const order = fastTopologicalOrder(y);
  assert.equal(order.length, 200_001); // x, y, and one lifted constant per addition
  assert.equal(order[order.length - 1], y);
});

for (const [engine, make] of ENGINES) {
  const sortTopo = (v: any): V[] => (engine === 'plain' ? topologicalOrder(v) : fastTopologicalOrder(v));
  const children = (v: any): V[] => (engine === 'plain' ? v._prev : v.children);
  test(`${engine}: topological order puts inputs before results and lists each node once`, () => {
  const a = make(1), b = make(2);
  const c = a.mul(b);
  const d = c.add(c).add(a);
  const order = sortTopo(d);
  assert.equal(new Set(order).size, order.length);
  const pos = new Map(order.map((v, i) => [v, i]));
  for (const v of order) for (const child of children(v)) assert.ok(pos.get(child)! < pos.get(v)!);
  assert.equal(order.length, 5);
});
}

test('plain: backward through a chain of a few thousand nodes (recursion depth 4,000)', () => {
  const x = new Value(0.5);
  let y: Value = x;
  for (let i = 0; i < 1000; i++) y = y.mul(0.999).add(x.mul(0.001)).tanh().add(0);
  y.backward();
  assert.ok(Number.isFinite(x.grad) && x.grad !== 0);
});
