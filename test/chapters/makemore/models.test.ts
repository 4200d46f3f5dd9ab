import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MODEL_TYPES, splitItems, train, generateItems } from '../../../src/chapters/makemore/index.js';
import { Generator } from '../../../src/util/random.js';
import { RunDir } from '../../../src/io/rundir.js';
import { syllableNames, tempDir } from './helpers.js';

const split = splitItems(syllableNames(300), 7);
const small = { nLayer: 1, nHead: 2, nEmbd: 16, nEmbd2: 16 };

for (const type of MODEL_TYPES) {
  test(`${type}: the loss goes down in a few steps, samples use only the vocabulary`, async () => {
    const r = await train({ type, split, model: small, runDir: new RunDir(tempDir()), seed: 1, batchSize: 16, learningRate: type === 'bigram' ? 0.1 : 1e-2, weightDecay: 0.01, maxSteps: 40, evalInterval: 1000, evalBatches: 1, quiet: true });
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = mean(r.losses.slice(0, 5)), last = mean(r.losses.slice(-5));
    assert.ok(last < first - 0.2, `${type}: loss ${first.toFixed(3)} -> ${last.toFixed(3)}`);
    assert.ok(Number.isFinite(r.testLoss));
    const samples = generateItems(r.model, split.vocab, split.blockSize, 10, { generator: new Generator(2) });
    assert.equal(samples.length, 10);
    for (const s of samples) {
      assert.match(s, /^[bdklmnraeio]*$/);
      assert.ok(s.length <= split.blockSize - 1);
    }
    const top1 = generateItems(r.model, split.vocab, split.blockSize, 3, { generator: new Generator(2), topK: 1 });
    assert.equal(new Set(top1).size, 1); // greedy: every row the same
  });
}

test("transformer: makemore's PyTorch-default initialisation and the dropout setting reach the GPT", async () => {
  const { createModel } = await import('../../../src/chapters/makemore/models/index.js');
  const c = { vocabSize: 27, blockSize: 16, nLayer: 2, nHead: 4, nEmbd: 64, nEmbd2: 64, dropout: 0.1 };
  const model = createModel('transformer', c, new Generator(1)) as unknown as import('../../../src/models/gpt.js').GPT;
  const std = (name: string) => {
    const d = model.namedParameters().find(([n]) => n === name)![1].data as Float32Array;
    const mean = d.reduce((a, x) => a + x, 0) / d.length;
    return Math.sqrt(d.reduce((a, x) => a + (x - mean) ** 2, 0) / d.length);
  };
  assert.ok(Math.abs(std('wte.weight') - 1) < 0.1, `embeddings N(0, 1): std ${std('wte.weight')}`);
  // Linear: U(±1/sqrt(64)) has std 1/sqrt(3 * 64) = 0.072, where GPT-2's init would give 0.02
  assert.ok(Math.abs(std('h.0.mlp.c_fc.weight') - 1 / Math.sqrt(192)) < 0.005, `Linear U(±1/sqrt(fan_in)): std ${std('h.0.mlp.c_fc.weight')}`);
  assert.equal(model.config.dropout, 0.1);
  assert.equal(model.config.init, 'pytorch');
});
