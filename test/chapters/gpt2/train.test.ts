import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setInterruptRequested } from '../../../src/util/interrupt.js';
import { writeShard } from '../../../src/chapters/gpt2/data.js';
import { GradpathError } from '../../../src/util/errors.js';
import { checkMemory, countParams, GPT2, GPT2_PRESETS, padVocab } from '../../../src/chapters/gpt2/model.js';
import { trainGPT2, type TrainOptions } from '../../../src/chapters/gpt2/train.js';
import { loadCheckpoint } from '../../../src/io/checkpoint.js';
import { RunDir } from '../../../src/io/rundir.js';

const dir = mkdtempSync(join(tmpdir(), 'gpt2-train-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

// a tiny shard: a repeating 13-token pattern over a 32-token vocabulary (learnable to ~0 loss)
const data = join(dir, 'data');
const pattern = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9];
const stream = Uint16Array.from({ length: 2000 }, (_, i) => pattern[i % pattern.length]);
const tinyModel = { nLayer: 2, nHead: 2, nEmbd: 32, blockSize: 16, vocabSize: 32, paddedVocabSize: 64 };
function options(out: string, extra: Partial<TrainOptions> = {}): TrainOptions {
  return {
    data, out: join(dir, out), model: tinyModel, batchSize: 4, seqLen: 16, maxSteps: 8, lr: 3e-3, warmupSteps: 2, weightDecay: 0.1,
    gradClip: 1.0, evalEvery: 4, evalSteps: 2, sampleEvery: 0, sampleTokens: 8, checkpointEvery: 0, seed: 7, peakGflops: 1, ...extra,
  };
}

test.before(async () => {
  const { mkdirSync } = await import('node:fs');
  mkdirSync(data, { recursive: true });
  writeShard(join(data, 'train_000000.bin'), stream);
  writeShard(join(data, 'val_000000.bin'), stream.subarray(0, 500));
});

test('train: a tiny GPT-2 overfits a tiny shard', async () => {
  const r = await trainGPT2(options('overfit', { maxSteps: 80, lr: 1e-2, totalBatchTokens: 128, evalEvery: 40 }));
  assert.equal(r.losses.length, 80);
  assert.ok(r.losses[0] > 3, `starts near ln(32) = 3.47: ${r.losses[0]}`);
  assert.ok(r.losses.at(-1)! < 0.2, `ends near zero: ${r.losses.at(-1)}`);
  assert.ok(r.valLosses.at(-1)![1] < 0.2);
  // config.json holds every flag a repeat needs (`gpt2 train --config RUN/config.json`)
  const cfg = new RunDir(join(dir, 'overfit')).readConfig()!;
  assert.equal(cfg.data, data);
  assert.deepEqual([cfg.evalEvery, cfg.evalSteps, cfg.maxNewTokens, cfg.totalBatchTokens], [40, 2, 8, 128]);
});

test('train: interrupted and resumed gives exactly the losses of an uninterrupted run', async () => {
  const straight = (await trainGPT2(options('straight', { sampleEvery: 3 }))).losses;
  const first = await trainGPT2(options('resumed', { sampleEvery: 3 }), {
    onStep: (s) => s.step === 4 && setInterruptRequested(true),
  });
  setInterruptRequested(false);
  assert.equal(first.steps, 5);
  const second = await trainGPT2(options('resumed', { sampleEvery: 3, resume: true }));
  assert.deepEqual([...first.losses, ...second.losses], straight);
  // a resume with another configuration is refused
  await assert.rejects(() => trainGPT2(options('resumed', { resume: true, batchSize: 2 })), /another configuration: batchSize/);
});

test('train: samples at the end unless told not to; per-step loss is a batch event; best.safetensors is the model only', async () => {
  const at: number[] = [];
  await trainGPT2(options('ends', { maxSteps: 4, evalEvery: 2 }), { onSample: (step) => at.push(step) });
  assert.deepEqual(at, [3]); // hooks count steps from 0: the last of 4
  const events = new RunDir(join(dir, 'ends')).readMetrics();
  assert.deepEqual(events.filter((e) => e.split === 'batch').map((e) => e.step), [1, 2, 3, 4]);
  assert.deepEqual(events.filter((e) => e.split === 'val').map((e) => e.step), [2, 4]);
  assert.ok(events.every((e) => e.split === 'batch' || e.split === 'val'));
  const best = loadCheckpoint(join(dir, 'ends', 'best.safetensors'));
  assert.equal(best.optimizer, undefined);
  assert.equal(best.rng, undefined);
  assert.ok(loadCheckpoint(join(dir, 'ends', 'latest.safetensors')).optimizer);
  const none: number[] = [];
  await trainGPT2(options('no-sample', { maxSteps: 2, samplesAtEnd: 0 }), { onSample: (step) => none.push(step) });
  assert.deepEqual(none, []);
  const two: number[] = [];
  await trainGPT2(options('two-samples', { maxSteps: 2, samplesAtEnd: 2, sampleTokens: 4 }), { onSample: (step) => two.push(step) });
  assert.deepEqual(two, [1, 1]);
  assert.equal(readFileSync(join(dir, 'two-samples', 'samples.txt'), 'utf8').match(/^step 1:/gm)?.length, 2, 'samples.txt keeps both');
  // the finished run is not replaced by accident
  await assert.rejects(() => trainGPT2(options('ends', { maxSteps: 2 })), /already holds a run; continue it with --resume, or start over \(replacing it\) with --force/);
});

test('model: parameter count, padding and memory refusal', () => {
  const g = GPT2_PRESETS.gpt2;
  assert.equal(countParams(g), 124_439_808); // the 124M model: 124,439,808 parameters with 50257 rows
  assert.equal(padVocab(50257), 50304);
  const m = new GPT2(tinyModel);
  assert.equal(m.numParameters(), countParams(tinyModel));
  assert.throws(() => checkMemory(GPT2_PRESETS['gpt2-xl'], 64, 1024, 24 * 2 ** 30), (e: Error) => e instanceof GradpathError && /needs about .* GiB .*parameters/.test(e.message));
  assert.throws(() => m.forward(new (m.wte.weight.constructor as any)(Int32Array.of(40), [1, 1])), /token id 40 is outside the vocabulary of 32/);
});
