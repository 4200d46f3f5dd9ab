import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nn, optim, Generator, randn, randint, crossEntropy, saveTrainingState, loadTrainingState, GradpathError } from '../../src/index.js';

class MLP extends nn.Module {
  fc1: nn.Linear;
  drop: nn.Dropout;
  fc2: nn.Linear;
  constructor(gen: Generator) {
    super();
    this.fc1 = new nn.Linear(4, 16, { generator: gen });
    this.drop = new nn.Dropout(0.1, gen);
    this.fc2 = new nn.Linear(16, 3, { generator: gen });
  }
  forward(x: ReturnType<typeof randn>) { return this.fc2.forward(this.drop.forward(this.fc1.forward(x).tanh())); }
}

function setup() {
  const gen = new Generator(11);
  const model = new MLP(gen);
  const opt = new optim.AdamW(model.parameters(), { lr: 1e-2 });
  return { gen, model, opt };
}

/** One step draws its batch and dropout mask from gen, so resuming must restore gen too. */
function step(s: ReturnType<typeof setup>): number {
  const x = randn([8, 4], { generator: s.gen });
  const y = randint(0, 3, [8], { generator: s.gen });
  const loss = crossEntropy(s.model.forward(x), y);
  s.opt.zeroGrad();
  loss.backward();
  s.opt.step();
  return loss.item();
}

test('training lowers the loss', () => {
  const s = setup();
  const x = randn([32, 4], { generator: s.gen });
  const y = randint(0, 3, [32], { generator: s.gen });
  s.model.drop = new nn.Dropout(0);
  let first = 0, last = 0;
  for (let i = 0; i < 200; i++) {
    const loss = crossEntropy(s.model.forward(x), y);
    if (i === 0) first = loss.item();
    last = loss.item();
    s.opt.zeroGrad();
    loss.backward();
    s.opt.step();
  }
  assert.ok(last < first * 0.5, `loss ${first} -> ${last}`);
});

test('resume: N steps straight equal N/2, save, load, N/2 (bit for bit)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-resume-'));
  const straight = setup();
  const lossesA = Array.from({ length: 20 }, () => step(straight));

  const first = setup();
  const lossesB = Array.from({ length: 10 }, () => step(first));
  const path = join(dir, 'latest.safetensors');
  saveTrainingState(path, { model: first.model, optimizer: first.opt, generator: first.gen, step: 10, kind: 'test-mlp', config: { hidden: 16 } });

  const resumed = setup();
  resumed.gen.manualSeed(999); // different state: the checkpoint must restore it
  const { step: at } = loadTrainingState(path, { model: resumed.model, optimizer: resumed.opt, generator: resumed.gen, kind: 'test-mlp', config: { hidden: 16 }, configKeys: ['hidden'] });
  assert.equal(at, 10);
  for (let i = 0; i < 10; i++) lossesB.push(step(resumed));
  assert.deepEqual(lossesB, lossesA);
});

test('resume refuses another model kind, another configuration, and a corrupt file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-resume-'));
  const s = setup();
  const path = join(dir, 'ckpt.safetensors');
  saveTrainingState(path, { model: s.model, optimizer: s.opt, step: 1, kind: 'test-mlp', config: { hidden: 16 } });
  assert.throws(() => loadTrainingState(path, { model: s.model, kind: 'other' }), /holds a test-mlp model, not other/);
  assert.throws(() => loadTrainingState(path, { model: s.model, kind: 'test-mlp', config: { hidden: 32 }, configKeys: ['hidden'] }), /hidden is 16 in the checkpoint but 32 now/);
  const bad = join(dir, 'bad.safetensors');
  writeFileSync(bad, Buffer.from([1, 2, 3]));
  assert.throws(() => loadTrainingState(bad, { model: s.model, kind: 'test-mlp' }), GradpathError);
  assert.throws(() => loadTrainingState(join(dir, 'none.safetensors'), { model: s.model, kind: 'test-mlp' }), /no checkpoint at/);
});
