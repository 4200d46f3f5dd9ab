import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value, MLP, Neuron, toDot, renderSvg, makeMoons, trainMoons, decisionBoundarySvg } from '../../../src/chapters/micrograd/index.js';
import { Generator } from '../../../src/util/random.js';

const named = (v: Value, label: string) => ((v.label = label), v);

test('MLP(2, [16, 16, 1]) has 337 parameters, seeded init in [-1, 1], zeroGrad clears them', () => {
  const model = new MLP(2, [16, 16, 1], 42);
  const params = model.parameters();
  assert.equal(params.length, 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1);
  assert.ok(params.every((p) => p.data >= -1 && p.data <= 1));
  assert.deepEqual(new MLP(2, [16, 16, 1], 42).parameters().map((p) => p.data), params.map((p) => p.data));
  assert.notDeepEqual(new MLP(2, [16, 16, 1], 43).parameters().map((p) => p.data), params.map((p) => p.data));
  const [out] = model.forward([0.3, -0.2]);
  out.backward();
  assert.ok(params.some((p) => p.grad !== 0));
  model.zeroGrad();
  assert.ok(params.every((p) => p.grad === 0));
});

test('hidden layers are ReLU, the output layer is linear; predict agrees with forward', () => {
  const model = new MLP(2, [4, 1], 7);
  assert.equal(model.layers[0].neurons[0].nonlinear, true);
  assert.equal(model.layers[1].neurons[0].nonlinear, false);
  for (const x of [[0.1, 0.2], [-1, 2], [3, -0.5]]) {
    assert.ok(Math.abs(model.forward(x)[0].data - model.predict(x)[0]) < 1e-12);
  }
  const n = new Neuron(2, true, new Generator(1));
  assert.ok(n.forward([-100, -100]).data >= 0);
});

test('makeMoons: 100 seeded points, labels -1/+1 half and half', () => {
  const d = makeMoons({ samples: 100, noise: 0.1, seed: 5 });
  assert.equal(d.X.length, 100);
  assert.equal(d.y.filter((v) => v === 1).length, 50);
  assert.equal(d.y.filter((v) => v === -1).length, 50);
  assert.deepEqual(makeMoons({ samples: 100, noise: 0.1, seed: 5 }), d);
  const clean = makeMoons({ samples: 10, noise: 0, seed: 1 });
  for (let i = 0; i < 10; i++) {
    const [x, y] = clean.X[i];
    // Noise-free points lie on their unit half circles.
    const r = clean.y[i] < 0 ? Math.hypot(x, y) : Math.hypot(x - 1, y - 0.5);
    assert.ok(Math.abs(r - 1) < 1e-12);
  }
});

test('toDot lists every node and edge of a small graph; renderSvg draws it', async () => {
  const a = new Value(2, [], '', 'a');
  const b = new Value(-3, [], '', 'b');
  const c = named(a.mul(b), 'c');
  const d = named(c.add(a), 'd');
  const e = named(d.tanh(), 'e');
  e.backward();
  const dot = toDot(e);
  for (const v of [a, b, c, d, e]) {
    assert.ok(dot.includes(`{ ${v.label} | data ${v.data.toFixed(4)} | grad ${v.grad.toFixed(4)} }`), `node ${v.label}`);
  }
  const ids = new Map([...dot.matchAll(/(v\d+) \[shape=record, label="\{ (\w+) /g)].map((m) => [m[2], m[1]]));
  assert.equal(ids.size, 5);
  const opOf = (name: string) => dot.match(new RegExp(`${ids.get(name)}_op \\[shape=ellipse, label="([^"]+)"`))![1];
  assert.equal(opOf('c'), '*');
  assert.equal(opOf('d'), '+');
  assert.equal(opOf('e'), 'tanh');
  const edges = [...dot.matchAll(/(v\d+(?:_op)?) -> (v\d+(?:_op)?);/g)].map((m) => `${m[1]}->${m[2]}`);
  const expected = [
    ['a', 'c'], ['b', 'c'], ['c', 'd'], ['a', 'd'], ['d', 'e'],
  ].map(([from, to]) => `${ids.get(from)}->${ids.get(to)}_op`);
  for (const name of ['c', 'd', 'e']) expected.push(`${ids.get(name)}_op->${ids.get(name)}`);
  assert.deepEqual(edges.sort(), expected.sort());
  const svg = await renderSvg(dot);
  assert.ok(svg.includes('<svg'));
  assert.ok(svg.includes('tanh'));
});

test('a short training run lowers the loss', () => {
  const result = trainMoons({ steps: 30, seed: 1337 });
  const losses = result.history.map((h) => h.loss);
  assert.equal(losses.length, 30);
  assert.ok(result.finalLoss < losses[0] / 2, `loss ${losses[0]} -> ${result.finalLoss}`);
  assert.ok(result.accuracy > 0.85, `accuracy ${result.accuracy}`);
  assert.ok(result.nodesPerStep > 60_000);
});

test("toDot shows pow's exponent on the op, not as an input node", () => {
  const x = new Value(3, [], '', 'x');
  const y = named(x.pow(2), 'y');
  y.backward();
  const dot = toDot(y);
  assert.equal((dot.match(/shape=record/g) ?? []).length, 2);
  assert.ok(dot.includes('label="**2"'));
  assert.deepEqual(x._prev, []);
  assert.deepEqual(y._prev, [x]);
});

test('the decision boundary picture has both classes, every point, axes with ticks and a legend', () => {
  const data = makeMoons({ samples: 12, noise: 0.1, seed: 2 });
  const model = new MLP(2, [4, 1], 5);
  const svg = decisionBoundarySvg(model, data, { cells: 20, title: 'boundary' });
  assert.equal((svg.match(/<circle/g) ?? []).length, 12 + 2); // the points and two legend markers
  for (const label of ['>x1<', '>x2<', '>0<', '>1<', '>predicted +1<', '>label -1<', '>boundary<']) assert.ok(svg.includes(label), label);
  assert.ok(svg.includes('#c6dbef') && svg.includes('#fcd5ce'), 'this untrained model predicts both classes somewhere in view');
});
