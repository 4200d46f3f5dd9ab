import type { Tensor } from '../../engine/tensor.js';
import { Generator } from '../../util/random.js';
import { noGrad } from '../../engine/autograd.js';
import { BufferPool } from '../../engine/pool.js';
import type { Module } from '../../nn/module.js';
import { AdamW } from '../../optim/adam.js';
import { clipGradNorm, cosineWithWarmup } from '../../optim/schedule.js';
import { loadTrainingState, saveTrainingState } from '../../train/state.js';
import type { RunDir } from '../../io/rundir.js';
import { Progress } from '../../io/progress.js';
import { interruptRequested, watchInterrupt, yieldToEventLoop } from '../../util/interrupt.js';

/** nanoGPT's optimisation settings (train.py and config/train_shakespeare_char.py). */
export interface TrainSettings {
  batchSize: number;
  maxIters: number;
  lr: number;
  minLr: number;
  warmupIters: number;
  lrDecayIters: number;
  weightDecay: number;
  beta2: number;
  gradClip: number;
  evalInterval: number;
  evalIters: number;
}

export interface TrainJob {
  model: Module;
  /** Draws the batches and the dropout masks; saved in checkpoints so a resume continues exactly. */
  gen: Generator;
  kind: string;
  /** Everything that defines the run; `configKeys` of it must match on --resume. */
  config: Record<string, unknown>;
  configKeys: readonly string[];
  extra?: Record<string, unknown>;
  settings: TrainSettings;
  run: RunDir;
  /** The loss of one training batch drawn from gen. */
  trainLoss: (gen: Generator) => Tensor;
  /** Metrics on one split, averaged over evalIters batches drawn from evalGen. */
  evaluate: (split: 'train' | 'val', evalGen: Generator, batches: number) => Record<string, number>;
  resume: boolean;
  quiet?: boolean;
  log: (msg: string) => void;
}

export interface TrainResult {
  iters: number;
  trainLoss: number;
  valLoss: number;
  bestValLoss: number;
  seconds: number;
  secondsPerIter: number;
  interrupted: boolean;
  val: Record<string, number>;
}

/**
 * AdamW with two parameter groups as nanoGPT's configure_optimizers: weight decay on matrices
 * (matmul weights, embeddings), none on biases and LayerNorm gains.
 */
export function makeOptimizer(model: Module, s: TrainSettings): AdamW {
  const params = model.parameters();
  return new AdamW(
    [
      { params: params.filter((p) => p.ndim >= 2), weightDecay: s.weightDecay },
      { params: params.filter((p) => p.ndim < 2), weightDecay: 0 },
    ],
    { lr: s.lr, betas: [0.9, s.beta2] },
  );
}

/**
 * The training loop of nanoGPT's train.py: warmup then cosine decay, gradient clipping, an
 * evaluation on both splits every evalInterval iterations (and at the end), the best model kept
 * in best.safetensors, latest.safetensors for --resume, and Ctrl-C saving before it exits.
 */
export async function train(job: TrainJob): Promise<TrainResult> {
  const { model, gen, settings: s, run } = job;
  const opt = makeOptimizer(model, s);
  const schedule = cosineWithWarmup({ maxLr: s.lr, minLr: s.minLr, warmupSteps: s.warmupIters, decaySteps: s.lrDecayIters });
  let step = 0, bestVal = Infinity, elapsedBefore = 0;
  if (job.resume) {
    const got = loadTrainingState(run.path('latest.safetensors'), { model, optimizer: opt, generator: gen, kind: job.kind, config: job.config, configKeys: job.configKeys });
    step = got.step;
    bestVal = Number(got.extra.bestVal ?? Infinity);
    elapsedBefore = Number(got.extra.elapsed ?? 0);
    run.resumeAt(step, elapsedBefore);
    job.log(`resuming from ${run.path('latest.safetensors')} at iteration ${step}`);
  } else {
    run.writeText('metrics.jsonl', '');
  }
  run.writeConfig({ kind: job.kind, ...job.config });
  watchInterrupt();
  const save = (name: string) =>
    saveTrainingState(run.path(name), { model, optimizer: opt, generator: gen, step, kind: job.kind, config: job.config, extra: { ...job.extra, bestVal, elapsed: run.elapsed() } });

  const evaluate = (): { train: Record<string, number>; val: Record<string, number> } =>
    noGrad(() => {
      model.eval();
      // fixed eval batches (their own generator): estimates comparable across evaluations and runs
      const train = job.evaluate('train', new Generator(1000), s.evalIters);
      const val = job.evaluate('val', new Generator(2000), s.evalIters);
      model.train();
      return { train, val };
    });

  const progress = new Progress({ total: s.maxIters, label: 'train', quiet: job.quiet });
  // every step reuses the last one's storage: fresh memory costs milliseconds per MB on these VMs
  const pool = new BufferPool();
  const startedAt = Date.now(), startStep = step;
  let last = { train: { loss: NaN }, val: { loss: NaN } } as { train: Record<string, number>; val: Record<string, number> };
  let lossEma = NaN, interrupted = false;
  /** Both splits into metrics.jsonl and the log; best.safetensors when validation improves. */
  const evaluateAndKeepBest = (say: (m: string) => void) => {
    last = evaluate();
    run.log({ step, split: 'train', ...last.train });
    run.log({ step, split: 'val', ...last.val });
    say(`step ${step}: train loss ${last.train.loss.toFixed(4)}, val loss ${last.val.loss.toFixed(4)}`);
    if (last.val.loss < bestVal) {
      bestVal = last.val.loss;
      save('best.safetensors');
    }
  };
  model.train();
  while (step < s.maxIters) {
    if (step % s.evalInterval === 0 && step > startStep) {
      evaluateAndKeepBest((m) => progress.log(m));
      save('latest.safetensors');
    }
    const lr = schedule(step);
    opt.setLearningRate(lr);
    pool.run(() => opt.zeroGrad()); // last step's gradients go back to the pool
    const l = pool.run(() => {
      const loss = job.trainLoss(gen);
      loss.backward();
      return loss.item();
    });
    pool.reset(); // the step's activations are dead; the gradients (kept by backward) live on
    if (s.gradClip > 0) clipGradNorm(model.parameters(), s.gradClip);
    opt.step();
    step++;
    lossEma = Number.isNaN(lossEma) ? l : 0.9 * lossEma + 0.1 * l;
    if (step % 10 === 0 || step === s.maxIters) run.log({ step, split: 'batch', loss: l, lr });
    progress.update(step, { loss: lossEma, lr });
    await yieldToEventLoop(); // the loop is synchronous: let a Ctrl-C (SIGINT) handler run
    if (interruptRequested()) {
      interrupted = true;
      break;
    }
  }
  progress.done();
  const secondsPerIter = (Date.now() - startedAt) / 1000 / Math.max(1, step - startStep);
  if (!interrupted) evaluateAndKeepBest(job.log);
  save('latest.safetensors');
  if (interrupted) job.log(`interrupted at iteration ${step}: saved ${run.path('latest.safetensors')}; continue with --resume`);
  return { iters: step, trainLoss: last.train.loss, valLoss: last.val.loss, bestValLoss: bestVal, seconds: run.elapsed(), secondsPerIter, interrupted, val: last.val };
}
