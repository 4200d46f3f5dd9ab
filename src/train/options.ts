import type { Tensor } from '../engine/tensor.js';
import type { BufferPool } from '../engine/pool.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Schedule } from '../optim/schedule.js';
import type { RunDir } from '../io/rundir.js';
import type { Generator } from '../util/random.js';
import type { ShardedCheckpoint } from '../dist/checkpoint.js';
import type { StepSummary, StepTimeline } from '../dist/timeline.js';

/** The splits an evaluation can measure (see io/rundir.ts for the vocabulary of metrics.jsonl). */
export type EvalSplit = 'train' | 'val' | 'test';
/** Metrics per split, e.g. { train: { loss: 1.9 }, val: { loss: 2.0, acc: 0.41 } }. */
export type Evaluation = Partial<Record<EvalSplit, Record<string, number>>>;

/** Where one micro-batch sits in the step being taken. */
export interface MicroStep {
  /** Optimizer steps completed before this one (0 for the first). */
  step: number;
  /** Which micro-batch of the step (0 .. accumSteps - 1). */
  micro: number;
  accumSteps: number;
}

/** What a finished optimizer step reports (to onStep, the progress line and the batch event). */
export interface StepInfo {
  /** Optimizer steps completed, this one included (metrics.jsonl's `step`). */
  step: number;
  /** The mean loss of the step's micro-batches. */
  loss: number;
  lr: number;
  /** Global L2 norm of the gradients, before clipping. */
  gradNorm: number;
  seconds: number;
  /** CPU time of this process during the step, all threads (steadier than wall time on a shared machine). */
  cpuSeconds: number;
}

export interface LoopOptions {
  model: Module;
  optimizer: Optimizer;
  /** The random stream the steps draw from (batches, dropout masks): saved in latest.safetensors for an exact resume. */
  generator?: Generator;
  maxSteps: number;

  /** The loss of one micro-batch, forward only (the loop runs backward). Draw the batch inside, from the generator. */
  loss?: (at: MicroStep) => Tensor;
  /**
   * Instead of `loss`: runs forward and backward of one micro-batch itself and returns its loss
   * value (already scaled by nothing: the loop averages the values). For steps that are not one
   * forward and one backward on this process: a pipeline stage's schedule over micro-batches,
   * which sends and receives activations and gradients between ranks. With `pool`, the part of
   * it that runs before its first await uses the step's BufferPool: storage made there is
   * recycled once the micro-batch is done, so read what you need (the loss value) before.
   */
  forwardBackward?: (at: MicroStep) => number | Promise<number>;
  /** Micro-batches per optimizer step; their gradients are averaged (default 1). */
  accumSteps?: number;
  /** Learning rate for the step about to be taken (0-based); without one the optimizer's stays. */
  schedule?: Schedule;
  /** Clip the global gradient norm to this (0 or unset: no clipping; the norm is measured either way). */
  gradClip?: number;
  /** Run each step inside a BufferPool (engine/pool.ts): activations recycled between steps. */
  pool?: boolean;

  /** Measures the model (called under noGrad, in eval mode). With a pool, reset it between batches. */
  evaluate?: (at: { step: number; pool?: BufferPool }) => Evaluation;
  /** Evaluate every this many steps, and always after the last (0 or unset: only after the last). */
  evalEvery?: number;
  /** More evaluation steps (grokking also measures its first epoch). */
  evalAt?: (step: number) => boolean;
  /** Which metric decides best.safetensors (default: val loss, lower is better). */
  best?: { split: EvalSplit; metric: string; mode?: 'min' | 'max' };
  /** Early stop (e.g. grokking once validation has held 99% long enough): asked after every evaluation. */
  stopWhen?: (step: number, evaluation: Evaluation) => boolean;

  /**
   * false: no single-file best.safetensors or latest.safetensors from this process (metrics and
   * config still are): a rank that holds only pieces of the model or optimizer (tensor parallel,
   * ZeRO-3, a pipeline stage); their latest is `sharded`, and with `sharded` their best is the
   * model gathered to rank 0 (dist/checkpoint-best.ts). Default true.
   */
  checkpoints?: boolean;
  /** latest.safetensors every this many steps; unset: after every evaluation; 0: only at the end and on Ctrl-C. */
  checkpointEvery?: number;
  /** A `batch` event in metrics.jsonl every this many steps and after the last (default 10; 0: none). */
  logEvery?: number;
  /** More fields for the batch event (e.g. GPT-2's tokens_per_s). */
  stepMetrics?: (info: StepInfo) => Record<string, number>;

  /**
   * A distributed run's checkpoints (src/dist/checkpoint.ts): every rank passes one (ranks other
   * than 0 pass no `run`, so they write no metrics, config or best). The latest checkpoint is then
   * saved by every rank at once as pieces plus an index, not as latest.safetensors; --resume loads
   * it in whatever layout saved it; and a stop (Ctrl-C on any rank) is agreed on over the ranks
   * after each step (one tiny all-reduce), so every rank saves the same step.
   * Without it, a single process resuming a run directory whose sharded checkpoint is newer than
   * its latest.safetensors loads the sharded one.
   */
  sharded?: ShardedCheckpoint;
  /**
   * Per-step timings (distributed runs): each step is a step of this recorder (src/dist/timeline.ts,
   * where the parallel wrappers record their waits); batch events gain compute_s, comm_s and
   * bubble; `finish` gets the last step's spans after training (dist draws timeline.svg from them).
   */
  timeline?: { recorder: StepTimeline; finish?: (last: StepSummary) => void | Promise<void> };

  /** Run directory: config.json, metrics.jsonl, best/latest checkpoints. Without one nothing is written. */
  run?: RunDir;
  /** What the model is (checked on resume), e.g. 'makemore-mlp'. */
  kind: string;
  /** Everything that defines the run: saved in checkpoints and config.json; `configKeys` of it must match on resume. */
  config: Record<string, unknown>;
  configKeys?: readonly string[];
  /** More fields for config.json only (sizes, counts). */
  configNotes?: Record<string, unknown>;
  /** Continue from the run directory's latest.safetensors (refused when there is none). */
  resume?: boolean;
  /** Start over in a run directory that holds a run, replacing it (else that is refused). */
  force?: boolean;
  /** Chapter state that must survive a resume (a data loader's position): saved in latest's metadata. */
  extraState?: { save: () => Record<string, unknown>; load: (saved: Record<string, unknown>, step: number) => void };

  /** Asked after every step with Ctrl-C's flag: true stops the run the same way (latest saved, `interrupted`). */
  stopRequested?: () => boolean;
  /** Called after every optimizer step, before any evaluation (tests stop runs from here). */
  onStep?: (info: StepInfo) => void;
  /** Redraw the run directory's curves.svg from metrics.jsonl after every evaluation (default true; grokking draws its own). */
  curves?: boolean;
  /** Called after every evaluation, once metrics and best.safetensors are written. */
  onEvaluate?: (step: number, evaluation: Evaluation, improved: boolean) => void;
  /**
   * Called after backward, once the step's gradients are complete and before clipping. The place for a
   * distributed step's all-reduce (or reduce-scatter, for an optimizer whose state is sharded); a
   * bucketed DDP would instead hook each parameter's gradient as backward produces it.
   */
  afterBackward?: (at: MicroStep) => void | Promise<void>;
  /**
   * The global gradient norm (reported, and used for clipping): default, over model.parameters()
   * on this process. With parameters or gradients split over ranks (ZeRO-2/3, tensor or pipeline
   * parallel), the sum of squares is reduced over the ranks that hold different parts.
   */
  gradNorm?: (params: Tensor[]) => number;
  /** Scales the gradients for clipping: default, every p.grad; with gradients sharded (ZeRO), the parts this rank holds. */
  scaleGrads?: (params: Tensor[], factor: number) => void;
  /** The step's loss as reported, from this process's mean over micro-batches: with data parallel, the mean over the ranks. */
  reduceLoss?: (loss: number) => number | Promise<number>;

  /** The progress line (stderr); unset: none. `metrics` picks what it shows (default: smoothed loss and lr). */
  progress?: { label: string; quiet?: boolean; metrics?: (info: StepInfo, smoothedLoss: number) => Record<string, number> };
  /** Messages (evaluations, resume, Ctrl-C); default: none. */
  log?: (message: string) => void;
}

export interface LoopResult {
  /** Optimizer steps completed in all (a resumed run counts the earlier ones). */
  steps: number;
  /** The step this call started from (0, or where a resume picked up). */
  startStep: number;
  /** The loss of every step this call took. */
  losses: number[];
  /** The last evaluation of this call ({} if none ran). */
  last: Evaluation;
  /** The best value of the `best` metric so far (over the resumed run too). */
  best: number;
  interrupted: boolean;
  stoppedEarly: boolean;
  /** Seconds of training, continued across resumes (the run directory's clock). */
  seconds: number;
  secondsPerStep: number;
}
