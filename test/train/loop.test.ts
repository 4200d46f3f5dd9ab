import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nn, optim, Generator, randn, randint, crossEntropy, GradpathError } from '../../src/index.js';
import { Tensor } from '../../src/engine/tensor.js';
import { RunDir } from '../../src/io/rundir.js';
import { loadCheckpoint } from '../../src/io/checkpoint.js';
import { setInterruptRequested } from '../../src/util/interrupt.js';
import { trainLoop, type LoopOptions } from '../../src/train/loop.js';

class MLP extends nn.Module {
  fc1: nn.Linear;
  drop: nn.Dropout;
  fc2: nn.Linear;
  constructor(gen: Generator, dropout: number) {
    super();
    this.fc1 = new nn.Linear(4, 16, { generator: gen });
    this.drop = new nn.Dropout(dropout, gen);
    this.fc2 = new nn.Linear(16, 3, { generator: gen });
  }
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.drop.forward(this.fc1.forward(x).tanh()));
  }
}

const runDir = () => new RunDir(mkdtempSync(join(tmpdir(), 'gp-loop-')));
const values = (m: nn.Module) => m.parameters().map((p) => Array.from(p.values()));

/** A small job: batches and dropout masks drawn from one generator, warmup + cosine, clipping. */
function job(extra: Partial<Omit<LoopOptions, 'model'>> = {}, dropout = 0.1): LoopOptions & { model: MLP } {
  const gen = new Generator(11);
  const model = new MLP(gen, dropout);
  return {
    model, optimizer: new optim.AdamW(optim.decayGroups(model, 0.1), { lr: 1e-2 }), generator: gen, maxSteps: 12,
    schedule: optim.cosineWithWarmup({ maxLr: 1e-2, minLr: 1e-3, warmupSteps: 3, decaySteps: 12 }), gradClip: 0.5,
    loss: () => crossEntropy(model.forward(randn([8, 4], { generator: gen })), randint(0, 3, [8], { generator: gen })),
    evaluate: () => ({ val: { loss: crossEntropy(model.forward(randn([16, 4], { generator: new Generator(5) })), randint(0, 3, [16], { generator: new Generator(6) })).item() } }),
    evalEvery: 4, kind: 'test-mlp', config: { hidden: 16 }, configKeys: ['hidden'],
    ...extra,
  };
}

test('loop: 12 steps straight equal 5, Ctrl-C, then --resume to 12 (parameters bit for bit)', async () => {
  const straight = job({ run: runDir() });
  const a = await trainLoop(straight);
  assert.equal(a.steps, 12);

  const run = runDir();
  const first = job({ run, onStep: (s) => s.step === 5 && setInterruptRequested(true) });
  const b = await trainLoop(first);
  setInterruptRequested(false);
  assert.equal(b.interrupted, true);
  assert.equal(b.steps, 5);
  assert.equal(loadCheckpoint(run.path('latest.safetensors')).step, 5);

  const resumed = job({ run, resume: true });
  resumed.generator!.manualSeed(999); // the checkpoint must restore the generator too
  const c = await trainLoop(resumed);
  assert.equal(c.startStep, 5);
  assert.deepEqual([...b.losses, ...c.losses], a.losses);
  assert.deepEqual(values(resumed.model), values(straight.model));
  // the log reads as one run: the batch events of both halves, once each
  const steps = run.readMetrics().filter((e) => e.split === 'batch').map((e) => e.step);
  assert.deepEqual(steps, [10, 12]);
  assert.deepEqual(run.readMetrics().filter((e) => e.split === 'val').map((e) => e.step), [4, 8, 12]);
});

test('loop: a resume refuses another configuration and a missing checkpoint', async () => {
  const run = runDir();
  await trainLoop(job({ run, maxSteps: 2 }));
  // resuming a finished run trains nothing, reports its evaluation, and logs nothing twice
  const before = run.readMetrics().length;
  const again = await trainLoop(job({ run, maxSteps: 2, resume: true }));
  assert.deepEqual([again.steps, again.losses.length, run.readMetrics().length], [2, 0, before]);
  assert.ok(Number.isFinite(again.last.val?.loss));
  await assert.rejects(trainLoop(job({ run, resume: true, config: { hidden: 32 } })), /hidden is 16 in the checkpoint but 32 now/);
  await assert.rejects(trainLoop(job({ run: runDir(), resume: true })), (e: unknown) => e instanceof GradpathError && /--resume: no checkpoint in .*latest\.safetensors/.test((e as Error).message));
});

test('loop: gradient accumulation over 2 x 4 rows equals one batch of 8', async () => {
  // no dropout, fixed data: only the batching differs
  const x = randn([8, 4], { generator: new Generator(1) }), y = randint(0, 3, [8], { generator: new Generator(2) });
  const rows = (from: number) => new Tensor(x.values().slice(from * 4, from * 4 + 16), [4, 4]);
  const labels = (from: number) => new Tensor(y.intValues().slice(from, from + 4), [4]);
  const big = job({ evaluate: undefined, gradClip: 0 }, 0);
  big.loss = () => crossEntropy(big.model.forward(x), y);
  const small = job({ evaluate: undefined, gradClip: 0, accumSteps: 2 }, 0);
  small.loss = ({ micro }) => crossEntropy(small.model.forward(rows(micro * 4)), labels(micro * 4));
  const a = await trainLoop(big), b = await trainLoop(small);
  for (let i = 0; i < a.losses.length; i++) assert.ok(Math.abs(a.losses[i] - b.losses[i]) < 1e-5, `step ${i}: ${a.losses[i]} vs ${b.losses[i]}`);
  const va = values(big.model).flat(), vb = values(small.model).flat();
  for (let i = 0; i < va.length; i++) assert.ok(Math.abs(va[i] - vb[i]) < 1e-5, `parameter ${i}: ${va[i]} vs ${vb[i]}`);
  await assert.rejects(trainLoop(job({ accumSteps: 0 })), /gradient accumulation/);
});

test('loop: best.safetensors only on improvement, and holds the model only', async () => {
  const run = runDir();
  const script = [3, 2, 2.5, 1.5, 1.7, 1.9];
  const improved: boolean[] = [];
  const r = await trainLoop(job({ run, maxSteps: 6, evalEvery: 1, evaluate: ({ step }) => ({ val: { loss: script[step - 1] } }), onEvaluate: (_, __, better) => improved.push(better) }));
  assert.deepEqual(improved, [true, true, false, true, false, false]);
  assert.equal(r.best, 1.5);
  const best = loadCheckpoint(run.path('best.safetensors')), latest = loadCheckpoint(run.path('latest.safetensors'));
  assert.equal(best.step, 4);
  assert.equal(best.optimizer, undefined);
  assert.equal(best.rng, undefined);
  assert.ok(latest.optimizer && latest.rng && latest.step === 6 && latest.extra?.best === 1.5);
  // curves.svg is redrawn after every evaluation, from metrics.jsonl: the val line is in it
  const svg = readFileSync(run.path('curves.svg'), 'utf8');
  assert.match(svg, /<svg[\s\S]*val[\s\S]*<\/svg>/);
  const off = runDir();
  await trainLoop(job({ run: off, maxSteps: 2, evalEvery: 1, curves: false, evaluate: () => ({ val: { loss: 1 } }) }));
  assert.ok(!off.exists('curves.svg'));
  // a maximised metric
  const acc = await trainLoop(job({ maxSteps: 3, evalEvery: 1, best: { split: 'val', metric: 'acc', mode: 'max' }, evaluate: ({ step }) => ({ val: { acc: [0.5, 0.4, 0.9][step - 1] } }) }));
  assert.equal(acc.best, 0.9);
});

test('loop: a run directory holding a run is refused without --force, replaced with it', async () => {
  const run = runDir();
  await trainLoop(job({ run, maxSteps: 4 }));
  const latest = readFileSync(run.path('latest.safetensors')), metrics = readFileSync(run.path('metrics.jsonl'), 'utf8');
  await assert.rejects(trainLoop(job({ run, maxSteps: 2 })), (e: unknown) => e instanceof GradpathError && /already holds a run; continue it with --resume, or start over \(replacing it\) with --force/.test((e as Error).message));
  assert.deepEqual(readFileSync(run.path('latest.safetensors')), latest);
  assert.equal(readFileSync(run.path('metrics.jsonl'), 'utf8'), metrics);
  const r = await trainLoop(job({ run, maxSteps: 2, force: true }));
  assert.equal(r.steps, 2);
  assert.equal(loadCheckpoint(run.path('latest.safetensors')).step, 2);
  assert.equal(loadCheckpoint(run.path('best.safetensors')).step, 2); // the old run's best is gone
  assert.ok(run.readMetrics().every((e) => e.step <= 2));
});

test('loop: the buffer pool changes no number; early stop; an outside stop request saves like Ctrl-C', async () => {
  const plain = job(), pooled = job({ pool: true });
  assert.deepEqual((await trainLoop(pooled)).losses, (await trainLoop(plain)).losses);
  assert.deepEqual(values(pooled.model), values(plain.model));

  const early = await trainLoop(job({ evalEvery: 2, stopWhen: (step) => step >= 6 }));
  assert.equal(early.steps, 6);
  assert.equal(early.stoppedEarly, true);

  const run = runDir();
  const stopped = await trainLoop(job({ run, stopRequested: () => true }));
  assert.equal(stopped.steps, 1);
  assert.equal(stopped.interrupted, true);
  assert.equal(loadCheckpoint(run.path('latest.safetensors')).step, 1);
});
