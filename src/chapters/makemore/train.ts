import { Generator } from '../../util/random.js';
import { noGrad } from '../../engine/autograd.js';
import { AdamW } from '../../optim/adam.js';
import { cosineWithWarmup } from '../../optim/schedule.js';
import { trainLoop } from '../../train/loop.js';
import type { RunDir } from '../../io/rundir.js';
import type { CharDataset, Split } from './data.js';
import { createModel, type CharModel, type ModelConfig, type ModelType } from './models/index.js';
import { generateItems } from './sample.js';

export interface TrainOptions {
  type: ModelType;
  /** The items file the split came from (undefined: the default names), recorded in config.json. */
  input?: string;
  split: Split;
  model: Omit<ModelConfig, 'vocabSize' | 'blockSize'>;
  runDir: RunDir;
  seed: number;
  batchSize: number;
  learningRate: number;
  weightDecay: number;
  maxSteps: number;
  resume?: boolean;
  /** Start over in a run directory that holds a run (else refused). */
  force?: boolean;
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
 * makemore's training, on the one training loop (train/loop.ts): AdamW (betas 0.9/0.99, eps 1e-8,
 * decay on every parameter, as makemore) on random batches of whole items, the learning rate
 * decayed by a cosine to a tenth over maxSteps; every evalInterval steps the train and test loss,
 * best.safetensors (the model) when the test loss improves, latest.safetensors (everything, for
 * --resume), and a few samples. Ctrl-C saves and stops.
 */
export async function train(o: TrainOptions): Promise<TrainResult> {
  const log = o.log ?? (() => {});
  const cfg = modelConfig(o);
  const gen = new Generator(o.seed); // initialisation, then batches: one stream, saved for resume
  const model = createModel(o.type, cfg, gen);
  const optimizer = new AdamW(model.parameters(), { lr: o.learningRate, betas: [0.9, 0.99], eps: 1e-8, weightDecay: o.weightDecay });
  const config = { type: o.type, vocab: o.split.vocab.toString(), ...cfg, seed: o.seed, batchSize: o.batchSize, learningRate: o.learningRate, weightDecay: o.weightDecay, maxSteps: o.maxSteps };
  const rows = new Int32Array(o.batchSize);
  const r = await trainLoop({
    model, optimizer, generator: gen, maxSteps: o.maxSteps,
    schedule: cosineWithWarmup({ maxLr: o.learningRate, minLr: o.learningRate / 10, warmupSteps: 0, decaySteps: o.maxSteps }),
    loss: () => {
      for (let i = 0; i < rows.length; i++) rows[i] = gen.randint(0, o.split.train.length);
      const { x, y } = o.split.train.batch(rows);
      return model.forward(x, y).loss!;
    },
    evaluate: () => ({ train: { loss: evaluate(model, o.split.train, o.evalBatches) }, test: { loss: evaluate(model, o.split.test, o.evalBatches) } }),
    evalEvery: o.evalInterval ?? 500, best: { split: 'test', metric: 'loss' },
    onEvaluate: (step) => {
      // samples from their own generator, so showing them does not change the training run
      const samples = generateItems(model, o.split.vocab, cfg.blockSize, 5, { topK: o.topK, generator: new Generator(o.seed + step) });
      say(`  samples: ${samples.join(', ')}`);
    },
    onStep: (s) => o.onStep?.(s.step, s.loss),
    run: o.runDir, kind: kindOf(o.type), config, configKeys: CONFIG_KEYS, resume: o.resume, force: o.force,
    configNotes: { input: o.input, evalInterval: o.evalInterval, topK: o.topK }, // so `--config config.json` repeats the run
    progress: { label: o.type, quiet: o.quiet }, log,
  });
  function say(m: string) {
    if (!o.quiet) process.stderr.write(m + '\n');
  }
  let trainLoss = r.last.train?.loss ?? NaN, testLoss = r.last.test?.loss ?? NaN;
  if (r.interrupted && !r.last.test) {
    // stopped before its first evaluation: measure anyway, for the summary
    trainLoss = evaluate(model, o.split.train, o.evalBatches);
    testLoss = evaluate(model, o.split.test, o.evalBatches);
  }
  return { model, params: model.numParameters(), steps: r.steps, trainLoss, testLoss, bestTestLoss: r.best, seconds: r.seconds, losses: r.losses, interrupted: r.interrupted };
}
