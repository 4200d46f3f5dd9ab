import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MODEL_TYPES, splitItems, train, generateItems } from '../../../src/chapters/makemore/index.js';
import { Generator } from '../../../src/engine/random.js';
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
