import { noGrad } from '../../engine/autograd.js';
import { crossEntropy } from '../../engine/ops/nn.js';
import type { BufferPool } from '../../engine/pool.js';
import { AdamW } from '../../optim/adam.js';
import { cosineWithWarmup } from '../../optim/schedule.js';
import type { RunDir } from '../../io/rundir.js';
import { trainLoop, type LoopResult } from '../../train/loop.js';
import { Generator } from '../../util/random.js';
import type { FashionMnist, ImageSet } from '../../data/fashion-mnist.js';
import { inOrder, pixelStats, randomBatch, type PixelStats } from './data.js';
import { buildModel, type ModelConfig, type VisionNet } from './model.js';

/** Everything that defines a training run (saved in config.json and the checkpoints). */
export interface VisionConfig extends ModelConfig {
  steps: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  warmupSteps: number;
  seed: number;
  evalEvery: number;
  /** Training images held out for validation (the last ones of the training set): they pick best.safetensors. */
  valSize: number;
  /** Random shifts and left-right flips of the training images (data.ts, randomBatch). */
  augment: boolean;
}

/** The keys a resume must agree on. */
export const CONFIG_KEYS = ['model', 'width', 'hidden', 'dropout', 'depth', 'steps', 'batchSize', 'lr', 'weightDecay', 'warmupSteps', 'seed', 'valSize', 'augment'] as const;

export const KIND = 'vision-classifier';

/** The training images split into the ones trained on and the validation ones, sharing storage. */
export function splitTrain(set: ImageSet, valSize: number): { train: ImageSet; val: ImageSet } {
  const px = set.height * set.width, n = set.count - valSize;
  const part = (from: number, to: number): ImageSet => ({ ...set, images: set.images.subarray(from * px, to * px), labels: set.labels.subarray(from, to), count: to - from });
  return { train: part(0, n), val: part(n, set.count) };
}

/** Loss, accuracy and (optionally) the predictions of a model over a set, in eval mode, batch by batch. */
export function evaluateSet(model: VisionNet, set: ImageSet, stats: PixelStats, opts: { pool?: BufferPool; limit?: number; batch?: number } = {}): { loss: number; acc: number; predictions: Int32Array } {
  const n = Math.min(opts.limit ?? set.count, set.count);
  const predictions = new Int32Array(n);
  let lossSum = 0, correct = 0;
  noGrad(() => {
    for (const { x, y, start } of inOrder(set, opts.batch ?? 500, stats, n)) {
      const run = () => {
        const logits = model.forward(x); // (B, 10)
        lossSum += crossEntropy(logits, y).item() * y.numel();
        const pred = logits.argmax(-1).intValues(), labels = y.intValues();
        for (let i = 0; i < pred.length; i++) { predictions[start + i] = pred[i]; if (pred[i] === labels[i]) correct++; }
      };
      if (opts.pool) { opts.pool.run(run); opts.pool.reset(); } else run();
    }
  });
  return { loss: lossSum / n, acc: correct / n, predictions };
}

export interface VisionResult extends LoopResult {
  model: VisionNet;
  stats: PixelStats;
  testAcc: number;
  testLoss: number;
  cpuSeconds: number;
}

export interface TrainOptions {
  run?: RunDir;
  resume?: boolean;
  force?: boolean;
  log?: (line: string) => void;
  progress?: { label: string; quiet?: boolean };
  /** Called with the model's weights after every step (the loss-landscape trajectory). */
  onStep?: (model: VisionNet, step: number) => void;
  /** A model to start from instead of a fresh one (landscape: the same initialisation twice). */
  model?: VisionNet;
}

/**
 * Trains a classifier on Fashion-MNIST through the shared loop: AdamW, warmup then cosine decay,
 * random batches from the seeded generator (so a resume draws the same ones), validation
 * accuracy every evalEvery steps picking best.safetensors, and the test set measured once, at the end.
 */
export async function trainVision(data: FashionMnist, c: VisionConfig, o: TrainOptions = {}): Promise<VisionResult> {
  const gen = new Generator(c.seed);
  const model = o.model ?? buildModel(c, gen);
  const { train, val } = splitTrain(data.train, c.valSize);
  const stats = pixelStats(train);
  const optimizer = new AdamW(model.parameters(), { lr: c.lr, weightDecay: c.weightDecay });
  const schedule = cosineWithWarmup({ maxLr: c.lr, minLr: c.lr / 100, warmupSteps: c.warmupSteps, decaySteps: c.steps });
  let cpu = 0;
  let test = { loss: NaN, acc: NaN };
  const result = await trainLoop({
    model, optimizer, generator: gen, maxSteps: c.steps, schedule, pool: true,
    loss: () => {
      const { x, y } = randomBatch(train, c.batchSize, stats, gen, c.augment);
      return crossEntropy(model.forward(x), y);
    },
    evaluate: ({ step, pool }) => {
      const v = val.count ? evaluateSet(model, val, stats, { pool }) : null;
      const tr = evaluateSet(model, train, stats, { pool, limit: 5000 });
      // the test set is looked at once, after the last step: it picks nothing
      if (step === c.steps) test = evaluateSet(model, data.test, stats, { pool });
      return {
        train: { loss: tr.loss, acc: tr.acc },
        ...(v ? { val: { loss: v.loss, acc: v.acc } } : {}),
        ...(step === c.steps ? { test: { loss: test.loss, acc: test.acc } } : {}),
      };
    },
    evalEvery: c.evalEvery,
    best: { split: val.count ? 'val' : 'train', metric: 'acc', mode: 'max' },
    run: o.run, kind: KIND, config: { ...c }, configKeys: CONFIG_KEYS,
    configNotes: { parameters: model.numParameters(), train_images: train.count, val_images: val.count, test_images: data.test.count, pixel_mean: stats.mean, pixel_std: stats.std, data_dir: data.dir },
    resume: o.resume, force: o.force,
    onStep: (info) => { cpu += info.cpuSeconds; o.onStep?.(model, info.step); },
    progress: o.progress ? { ...o.progress, metrics: (info, smoothed) => ({ loss: smoothed, lr: info.lr }) } : undefined,
    log: o.log,
  });
  if (Number.isNaN(test.acc) && result.steps === c.steps && !result.interrupted) {
    // a resume of a finished run: measure the test set now
    test = evaluateSet(model, data.test, stats);
  }
  return { ...result, model, stats, testAcc: test.acc, testLoss: test.loss, cpuSeconds: cpu };
}
