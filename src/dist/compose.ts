/**
 * The parallel modes of one run combined into one set of training-loop options (picotron's 3D
 * parallelism, the Ultra-Scale Playbook's "5D" minus experts and context): each mode works inside
 * its own group of the process grid (parallel-context.ts) and adds its hooks; this file says how
 * the hooks of several meet.
 *
 * - dp x tp: each dp replica is a tensor-parallel model over its tp group; after backward the tp
 *   hooks run (sequence parallel's replicated gradients summed over tp), and DDP averages every
 *   local (already TP-sharded) gradient over the dp group, bucket by bucket during backward. The
 *   grad norm is tensor parallel's (the gradients are equal across replicas once averaged); the
 *   loss is averaged over dp (every tp rank of a replica holds the same loss).
 * - dp x pp: each dp replica is a pipeline over its pp group, fed its B/dp rows; the stage's
 *   gradients are averaged over the dp group once the schedule's last backward is done (a stage
 *   runs backward once per micro-batch, so buckets cannot go early); the tied embedding's sum
 *   between the first and last stage stays in the pp group. Grad norm: the pipeline's.
 *
 * - tp x pp (and dp x pp x tp): each pipeline stage is a tensor-parallel model over its tp group;
 *   activations between stages are whole on every tp rank (after a row-parallel layer's all-reduce),
 *   so stage s's tp rank r talks to stage s+1's tp rank r over their pp group. The tied head's
 *   gradient sum between the first and last stage is then of the same vocabulary slice. The grad
 *   norm is the pipeline's, which takes each stage's over its tp group (Pipeline.attach's
 *   tensorParallel), then sums over the stages.
 *
 * A ZeRO optimizer's sharded norm beside tp's or pp's, and sequence parallel with a pipeline (its
 * activations between blocks are a slice of the sequence), are refused from the flags before any
 * rank starts (cli/parallel-flags.ts checkParallelModes).
 */
import type { Tensor } from '../engine/tensor.js';
import type { Optimizer } from '../optim/optimizer.js';
import { GradpathError } from '../util/errors.js';
import type { DataParallel } from './ddp.js';
import type { DistributedRunHooks } from './run-hooks.js';
import type { ShardedCheckpoint } from './checkpoint.js';
import type { StepSummary, StepTimeline } from './timeline.js';

type MicroStep = { step: number; micro: number; accumSteps: number };

/** The training loop's options a parallel mode sets (structurally: dist sits below train). */
export interface ParallelLoopOptions {
  optimizer?: Optimizer;
  forwardBackward?: (at: MicroStep) => number | Promise<number>;
  afterBackward?: (at: MicroStep) => void | Promise<void>;
  gradNorm?: (params: Tensor[]) => number;
  scaleGrads?: (params: Tensor[], factor: number) => void;
  reduceLoss?: (loss: number) => number | Promise<number>;
  stepMetrics?: (info: { step: number; loss: number; lr: number; gradNorm: number; seconds: number; cpuSeconds: number }) => Record<string, number>;
  checkpoints?: boolean;
  sharded?: ShardedCheckpoint;
  timeline?: { recorder: StepTimeline; finish?: (last: StepSummary) => void | Promise<void> };
}

/**
 * One set of loop options from the modes of a run: `dp` the data-parallel wrapper (over the grid's
 * dp group), `tp` tensor parallel's options (tensorParallelRun, built with the grid: its sharded
 * state is the whole layout's), `pipe` the pipeline's loop hooks (its batches already cut to this
 * replica's rows), `pipeRun` a pipeline stage's checkpoints and timeline (pipeline-checkpoint.ts,
 * built with the grid: dp rank 0's replica writes; with tp, each stage's pieces cut as tp cuts them).
 * `dpRun` makes data parallel's own checkpoints and timeline, used when nothing else brings them.
 */
export function composeParallel(p: { dp?: DataParallel | null; tp?: ParallelLoopOptions; pipe?: ParallelLoopOptions; pipeRun?: DistributedRunHooks; dpRun?: () => DistributedRunHooks }): ParallelLoopOptions {
  const dpOptions = p.dp?.loopOptions();
  if (dpOptions?.gradNorm && (p.tp || p.pipe)) throw new GradpathError('ZeRO with tensor or pipeline parallelism is not supported: use --zero 0');
  const parts = [p.pipe, p.tp, dpOptions].filter((x): x is ParallelLoopOptions => Boolean(x));
  const hooks = parts.map((x) => x.afterBackward).filter((f): f is NonNullable<typeof f> => Boolean(f));
  const out: ParallelLoopOptions = { ...dpOptions, ...p.tp, ...p.pipe };
  if (hooks.length > 1) {
    out.afterBackward = async (at) => {
      for (const h of hooks) await h(at);
    };
  }
  if (p.pipe?.forwardBackward && p.dp) out.forwardBackward = p.dp.wrapLoss(p.pipe.forwardBackward, false);
  if (dpOptions) {
    out.optimizer = dpOptions.optimizer;
    out.reduceLoss = dpOptions.reduceLoss;
  }
  // single-file checkpoints need the whole model on rank 0: a stage or a tp rank holds part of it
  if (p.pipe || parts.some((x) => x.checkpoints === false)) out.checkpoints = false;
  // checkpoints and timeline, one set for the layout: tensor parallel's covers dp x tp, the
  // pipeline stages' (cut by tp where it is) pp, dp x pp, tp x pp and dp x pp x tp, data parallel's the rest
  const run = p.pipe ? p.pipeRun : p.tp ? undefined : p.dp ? p.dpRun?.() : undefined;
  if (run) {
    out.timeline = run.timeline;
    out.sharded = run.sharded;
  }
  if (p.pipe && !run) delete out.sharded; // tensor parallel's alone would miss the stage's tied copy
  return out;
}
