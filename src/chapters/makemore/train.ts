import { existsSync, rmSync } from 'node:fs';
import { Generator } from '../../util/random.js';
import { noGrad } from '../../engine/autograd.js';
import { AdamW } from '../../optim/adam.js';
import { cosineWithWarmup } from '../../optim/schedule.js';
import { saveTrainingState, loadTrainingState } from '../../train/state.js';
import type { RunDir } from '../../io/rundir.js';
import { Progress } from '../../io/progress.js';
import { interruptRequested, yieldToEventLoop } from '../../util/interrupt.js';
import { GradpathError } from '../../util/errors.js';
import type { CharDataset, Split } from './data.js';
import { createModel, type CharModel, type ModelConfig, type ModelType } from './models/index.js';
import { generateItems } from './sample.js';

export interface TrainOptions {
  type: ModelType;
  split: Split;
  model: Omit<ModelConfig, 'vocabSize' | 'blockSize'>;
  runDir: RunDir;
  seed: number;
  batchSize: number;
  learningRate: number;
  weightDecay: number;
  maxSteps: number;
  resume?: boolean;
  topK?: number;
  /** Evaluate, checkpoint and sample every this many steps (500, as makemore). */
  evalInterval?: number;
  /** Batches of 100 items per split in an evaluation (10: the whole 1000-item test set). */
  evalBatches?: number;
  log?: (msg: string) => void;
  quiet?: boolean;
  /** Called after every step (tests use it to stop a run part-way). */
  onStep?: (step: number, loss: number) => void;
}

export interface TrainResult {
  model: CharModel;
  params: number;
  steps: number;
  trainLoss: number;
  testLoss: number;
  bestTestLoss: number;
  seconds: number;
  /** The training loss of every step this call ran. */
  losses: number[];
  interrupted: boolean;
}

/** What a checkpoint must agree on to be resumed or sampled from. */
export const CONFIG_KEYS = ['type', 'vocab', 'blockSize', 'nLayer', 'nHead', 'nEmbd', 'nEmbd2'] as const;
export const kindOf = (type: string) => `makemore-${type}`;

export function modelConfig(o: Pick<TrainOptions, 'split' | 'model'>): ModelConfig {
  return { vocabSize: o.split.vocab.size, blockSize: o.split.blockSize, ...o.model };
}

/** The mean loss per predicted character over the first maxBatches batches of 100 items. */
export function evaluate(model: CharModel, data: CharDataset, maxBatches = 10, batchSize = 100): number {
  return noGrad(() => {
    const wasTraining = model.training;
    model.eval();
    let total = 0, count = 0;
    for (let start = 0, b = 0; start < data.length && b < maxBatches; start += batchSize, b++) {
      const rows = Array.from({ length: Math.min(batchSize, data.length - start) }, (_, i) => start + i);
      const { x, y } = data.batch(rows);
      const n = y.intValues().reduce((a, t) => a + (t !== -1 ? 1 : 0), 0);
      total += model.forward(x, y).loss!.item() * n; // weighted: every character counts once
      count += n;
    }
    model.train(wasTraining);
    return total / count;
  });
}

/**
 * makemore's training loop: AdamW (betas 0.9/0.99, eps 1e-8) on random batches of whole items,
 * the learning rate decayed by a cosine to a tenth over maxSteps; every evalInterval steps the
 * train and test loss, the best model (best.safetensors) when the test loss improves, the full
 * state for --resume (latest.safetensors), and a few samples. Ctrl-C saves and stops.
 */
export async function train(o: TrainOptions): Promise<TrainResult> {
  const log = o.log ?? (() => {});
  const evalInterval = o.evalInterval ?? 500;
  const cfg = modelConfig(o);
  const gen = new Generator(o.seed); // initialisation, then batches: one stream, saved for resume
  const model = createModel(o.type, cfg, gen);
  const optimizer = new AdamW(model.parameters(), { lr: o.learningRate, betas: [0.9, 0.99], eps: 1e-8, weightDecay: o.weightDecay });
  const schedule = cosineWithWarmup({ maxLr: o.learningRate, minLr: o.learningRate / 10, warmupSteps: 0, decaySteps: o.maxSteps });
  const config = { type: o.type, vocab: o.split.vocab.toString(), ...cfg, seed: o.seed, batchSize: o.batchSize, learningRate: o.learningRate, weightDecay: o.weightDecay, maxSteps: o.maxSteps };
  const latest = o.runDir.path('latest.safetensors'), best = o.runDir.path('best.safetensors');

  let step = 0, bestTestLoss = Infinity;
  if (o.resume) {
    if (!existsSync(latest)) throw new GradpathError(`--resume: no checkpoint in ${o.runDir.dir} (latest.safetensors); train without --resume first`);
    const got = loadTrainingState(latest, { model, optimizer, generator: gen, kind: kindOf(o.type), config, configKeys: CONFIG_KEYS });
    step = got.step;
    bestTestLoss = Number(got.extra.bestTestLoss ?? Infinity);
    o.runDir.resumeAt(step, Number(got.extra.elapsed ?? 0));
    log(`resuming ${o.type} from step ${step} (best test loss ${bestTestLoss.toFixed(4)})`);
  } else if (existsSync(latest)) {
    log(`starting a new run in ${o.runDir.dir}, replacing the one there (--resume continues it instead)`);
  }
  // only now: a refused resume leaves the run directory alone
  if (!o.resume) rmSync(o.runDir.path('metrics.jsonl'), { force: true }); // a new run, a new log
  o.runDir.writeConfig(config);

  const saveLatest = () => saveTrainingState(latest, { model, optimizer, generator: gen, step, kind: kindOf(o.type), config, extra: { bestTestLoss, elapsed: o.runDir.elapsed() } });
  let trainLoss = NaN, testLoss = NaN, lastEval = -1;
  const evaluateAndSave = () => {
    trainLoss = evaluate(model, o.split.train, o.evalBatches);
    testLoss = evaluate(model, o.split.test, o.evalBatches);
    lastEval = step;
    o.runDir.log({ step, split: 'train', loss: trainLoss });
    o.runDir.log({ step, split: 'test', loss: testLoss });
    const improved = testLoss < bestTestLoss;
    if (improved) {
      bestTestLoss = testLoss;
      saveTrainingState(best, { model, step, kind: kindOf(o.type), config, extra: { testLoss, trainLoss } });
    }
    saveLatest();
    progress.log(`step ${step}: train loss ${trainLoss.toFixed(4)}, test loss ${testLoss.toFixed(4)}${improved ? ' (best, saved)' : ''}`);
    // samples from their own generator, so showing them does not change the training run
    const samples = generateItems(model, o.split.vocab, cfg.blockSize, 5, { topK: o.topK, generator: new Generator(o.seed + step) });
    progress.log(`  samples: ${samples.join(', ')}`);
  };

  const progress = new Progress({ total: o.maxSteps, label: o.type, quiet: o.quiet });
  const losses: number[] = [];
  let interrupted = false;
  const rows = new Int32Array(o.batchSize);
  while (step < o.maxSteps) {
    for (let i = 0; i < rows.length; i++) rows[i] = gen.randint(0, o.split.train.length);
    const { x, y } = o.split.train.batch(rows);
    optimizer.setLearningRate(schedule(step));
    const { loss } = model.forward(x, y);
    optimizer.zeroGrad();
    loss!.backward();
    optimizer.step();
    step++;
    const l = loss!.item();
    losses.push(l);
    if (step % 10 === 0) o.runDir.log({ step, split: 'batch', loss: l, lr: optimizer.lr });
    progress.update(step, { loss: l });
    o.onStep?.(step, l);
    if (step % evalInterval === 0) evaluateAndSave();
    // let the event loop run: Ctrl-C only raises its flag from there, never inside a synchronous loop
    await yieldToEventLoop(); // lets a Ctrl-C handler run
    if (interruptRequested()) {
      saveLatest();
      progress.log(`interrupted at step ${step}: state saved to ${latest}; continue with --resume`);
      interrupted = true;
      break;
    }
  }
  progress.done();
  if (!interrupted && lastEval !== step) evaluateAndSave();
  if (interrupted && lastEval === -1) {
    trainLoss = evaluate(model, o.split.train, o.evalBatches);
    testLoss = evaluate(model, o.split.test, o.evalBatches);
  }
  return { model, params: model.numParameters(), steps: step, trainLoss, testLoss, bestTestLoss, seconds: o.runDir.elapsed(), losses, interrupted };
}
