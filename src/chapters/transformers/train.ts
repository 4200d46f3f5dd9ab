import type { Tensor } from '../../engine/tensor.js';
import { Generator } from '../../util/random.js';
import type { Module } from '../../nn/module.js';
import { AdamW } from '../../optim/adam.js';
import { decayGroups } from '../../optim/groups.js';
import { cosineWithWarmup } from '../../optim/schedule.js';
import { trainLoop, type LoopOptions } from '../../train/loop.js';
import type { RunDir } from '../../io/rundir.js';
import { dataParallel, type DataParallelFlags } from '../../dist/ddp.js';
import { describeReport } from '../../dist/zero-memory.js';
import { composeParallel } from '../../dist/compose.js';
import type { DistributedRunHooks } from '../../dist/run-hooks.js';
import type { ProcessGrid } from '../../dist/grid.js';

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
  settings: TrainSettings;
  /** Unset on the ranks of a distributed job other than 0: only rank 0 writes the run directory. */
  run?: RunDir;
  /** The loss of one training batch drawn from gen; `rows` keeps this rank's rows of it (data parallel). */
  trainLoss: (gen: Generator, rows: <B extends { x: Tensor; y: Tensor }>(batch: B) => { x: Tensor; y: Tensor }) => Tensor;
  /** The run's process grid (dist/parallel-context.ts), when it combines parallel modes: data parallel takes its dp group. */
  grid?: ProcessGrid | null;
  /** Data parallelism (--dp, --zero; src/dist/ddp.ts); `layers` are what ZeRO-3 gathers one at a time. */
  dataParallel?: DataParallelFlags & { layers: Module[] };
  /** Tensor parallelism's loop options for this optimizer and run directory (dist/tensor-parallel-training.ts tensorParallelRun). */
  tensorParallel?: (optimizer: AdamW, dir: string) => Pick<LoopOptions, 'afterBackward' | 'gradNorm' | 'checkpoints' | 'sharded' | 'timeline'>;
  /** The run directory on every rank (`run` is rank 0's only): where a distributed run's sharded checkpoints go. */
  dir?: string;
  /** Metrics on one split, averaged over evalIters batches drawn from evalGen. */
  evaluate: (split: 'train' | 'val', evalGen: Generator, batches: number) => Record<string, number>;
  resume: boolean;
  /**
   * Pipeline parallel (src/dist/pipeline.ts): its loop hooks replace trainLoss's step (their
   * batches cut to this replica's rows with data parallel too); only the writer (rank 0) shows
   * progress and writes the run directory; `checkpoints` gives the stage's sharded checkpoints for
   * this optimizer and run directory (dist/pipeline-checkpoint.ts pipelineRun).
   */
  pipeline?: { hooks: Pick<LoopOptions, 'forwardBackward' | 'afterBackward' | 'gradNorm' | 'stepMetrics'>; writer: boolean; checkpoints?: (optimizer: AdamW, dir: string) => Promise<DistributedRunHooks> };
  /** Start over in a run directory that holds a run (else refused). */
  force?: boolean;
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

/** AdamW as nanoGPT's configure_optimizers: decay on matrices and embeddings only (optim/groups.ts). */
export function makeOptimizer(model: Module, s: TrainSettings): AdamW {
  return new AdamW(decayGroups(model, s.weightDecay), { lr: s.lr, betas: [0.9, s.beta2] });
}

/**
 * nanoGPT's train.py on the one training loop (train/loop.ts): warmup then cosine decay, gradient
 * clipping, both splits evaluated every evalInterval iterations (and at the end) on fixed batches,
 * best.safetensors when validation improves, latest.safetensors for --resume (a --dp or --tp run:
 * a sharded checkpoint, latest.index.json), Ctrl-C saves.
 */
export async function train(job: TrainJob): Promise<TrainResult> {
  const { model, gen, settings: s, pipeline } = job;
  const optimizer = makeOptimizer(model, s);
  const dp = job.dataParallel ? await dataParallel({ model, optimizer, batchSize: s.batchSize, layers: job.dataParallel.layers, comm: job.grid?.dp }, job.dataParallel) : null;
  const dir = job.dir ?? job.run!.dir;
  // only rank 0 writes the run directory and prints: the other ranks get neither run nor progress nor log
  const root = (!dp || dp.isRoot) && (!pipeline || pipeline.writer);
  if (dp && root) job.log(dp.describe());
  const pipeRun = await pipeline?.checkpoints?.(optimizer, dir);
  const rows = <B extends { x: Tensor; y: Tensor }>(b: B) => (dp ? dp.rows(b) : b);
  const r = await trainLoop({
    model, optimizer, generator: gen, maxSteps: s.maxIters, pool: true,
    schedule: cosineWithWarmup({ maxLr: s.lr, minLr: s.minLr, warmupSteps: s.warmupIters, decaySteps: s.lrDecayIters }),
    gradClip: s.gradClip,
    ...(pipeline ? {} : { loss: dp ? dp.wrapLoss(() => job.trainLoss(gen, rows)) : () => job.trainLoss(gen, rows) }),
    // fixed eval batches (their own generators): estimates comparable across evaluations and runs
    evaluate: () => ({ train: job.evaluate('train', new Generator(1000), s.evalIters), val: job.evaluate('val', new Generator(2000), s.evalIters) }),
    evalEvery: s.evalInterval,
    run: root ? job.run : undefined, kind: job.kind, config: job.config, configKeys: job.configKeys, resume: job.resume, force: job.force,
    progress: root ? { label: 'train', quiet: job.quiet } : undefined, log: root ? job.log : undefined,
    // the parallel modes on the run's grid (dist/compose.ts); every rank saves its part of the run
    // (sharded checkpoints, resumable in any layout) and its step timings
    ...composeParallel({ dp, tp: job.tensorParallel?.(optimizer, dir), pipe: pipeline?.hooks, pipeRun, dpRun: () => dp!.runHooks(dir, job.kind, job.grid?.shape) }),
  });
  if (dp && root) job.log(describeReport(dp.report()));
  const val = r.last.val ?? { loss: NaN };
  return {
    iters: r.steps, trainLoss: r.last.train?.loss ?? NaN, valLoss: val.loss, bestValLoss: r.best, seconds: r.seconds,
    secondsPerIter: r.secondsPerStep, interrupted: r.interrupted, val,
  };
}
