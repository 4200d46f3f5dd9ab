import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { splitItems, train, type ModelType } from '../../../src/chapters/makemore/index.js';
import { RunDir } from '../../../src/io/rundir.js';
import { setInterruptRequested } from '../../../src/util/interrupt.js';
import { syllableNames, tempDir } from './helpers.js';

const split = splitItems(syllableNames(200), 3);
const base = { split, model: { nLayer: 1, nHead: 2, nEmbd: 8, nEmbd2: 8 }, seed: 5, batchSize: 8, learningRate: 1e-2, weightDecay: 0.01, maxSteps: 12, evalInterval: 4, evalBatches: 1, quiet: true };

// wavenet carries BatchNorm running statistics, lstm a second state, transformer the shared GPT
for (const type of ['wavenet', 'lstm', 'transformer'] as ModelType[]) {
  test(`${type}: Ctrl-C at step 6 then --resume gives the same losses as a straight run`, async () => {
    const straight = await train({ ...base, type, runDir: new RunDir(tempDir()) });
    const dir = new RunDir(tempDir());
    const first = await train({ ...base, type, runDir: dir, onStep: (s) => s === 6 && setInterruptRequested(true) });
    setInterruptRequested(false);
    assert.equal(first.interrupted, true);
    assert.equal(first.steps, 6);
    const second = await train({ ...base, type, runDir: dir, resume: true });
    assert.equal(second.steps, 12);
    assert.deepEqual([...first.losses, ...second.losses], straight.losses);
    assert.equal(second.testLoss, straight.testLoss);
  });
}

test('--resume without a checkpoint, or with another model type, is refused and overwrites nothing', async () => {
  const empty = new RunDir(tempDir());
  await assert.rejects(() => train({ ...base, type: 'rnn', runDir: empty, resume: true }), /--resume: no checkpoint in .*latest\.safetensors/);
  assert.equal(empty.exists('config.json'), false);

  const dir = new RunDir(tempDir());
  await train({ ...base, type: 'gru', maxSteps: 4, runDir: dir });
  const config = readFileSync(dir.path('config.json'), 'utf8');
  const latest = readFileSync(dir.path('latest.safetensors'));
  await assert.rejects(() => train({ ...base, type: 'rnn', runDir: dir, resume: true }), /makemore-gru/);
  assert.equal(readFileSync(dir.path('config.json'), 'utf8'), config);
  assert.deepEqual(readFileSync(dir.path('latest.safetensors')), latest);
});

test('a new run in a directory that holds one is refused (nothing touched); force replaces it', async () => {
  const dir = new RunDir(tempDir());
  await train({ ...base, type: 'mlp', maxSteps: 4, runDir: dir });
  const latest = readFileSync(dir.path('latest.safetensors')), metrics = readFileSync(dir.path('metrics.jsonl'), 'utf8');
  await assert.rejects(() => train({ ...base, type: 'mlp', maxSteps: 8, runDir: dir }), /already holds a run; continue it with --resume, or start over \(replacing it\) with --force/);
  assert.deepEqual(readFileSync(dir.path('latest.safetensors')), latest);
  assert.equal(readFileSync(dir.path('metrics.jsonl'), 'utf8'), metrics);
  const again = await train({ ...base, type: 'mlp', maxSteps: 2, runDir: dir, force: true });
  assert.equal(again.steps, 2);
  assert.ok(dir.readMetrics().every((e) => e.step <= 2));
});
