import { test } from 'node:test';
import assert from 'node:assert/strict';

// Imports the package by its own name (Node resolves a package's self-reference through its
// "exports" map), exactly as another project would after `npm install gradpath`. The name is
// held in a variable so TypeScript does not resolve it before dist/ exists.
const pkg = 'gradpath';
type Lib = typeof import('../src/index.js');
const load = async (): Promise<Lib> => (await import(pkg)) as Lib;
test("the README's library example runs and learns", async () => {
  const { randn, randint, crossEntropy, nn, optim, manualSeed } = await load();
  manualSeed(0);
  const model = new nn.Sequential(new nn.Linear(2, 32), new nn.Tanh(), new nn.Linear(32, 3));
  const opt = new optim.AdamW(model.parameters(), { lr: 1e-2 });
  const x = randn([64, 2]), y = randint(0, 3, [64]);
  let first = 0, last = 0;
  for (let step = 0; step < 100; step++) {
    const loss = crossEntropy(model.forward(x), y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    if (step === 0) first = loss.item();
    last = loss.item();
  }
  assert.ok(last < first, `loss ${first} -> ${last}`);
});

test('dropout: kept elements are scaled by 1/(1-p) and gradients follow the same mask', async () => {
  const { ones, dropout, Generator } = await load();
  const x = ones([1000]).setRequiresGrad();
  const y = dropout(x, 0.25, true, new Generator(1));
  y.sum().backward();
  const yv = y.values(), gv = x.grad!.values();
  let kept = 0;
  for (let i = 0; i < 1000; i++) {
    assert.ok(yv[i] === 0 || Math.abs(yv[i] - 4 / 3) < 1e-6);
    assert.equal(gv[i], yv[i]);
    if (yv[i] !== 0) kept++;
  }
  assert.ok(kept > 700 && kept < 800, `kept ${kept}`);
  assert.equal(dropout(x, 0.25, false), x);
});
