/**
 * The parallel modes of one run combined into one set of training-loop options (picotron's 3D
 * parallelism, the Ultra-Scale Playbook's "5D" minus experts and context): each mode works inside
 * its own group of the process grid (parallel-context.ts) and adds its hooks; this file says how
 * the hooks of several meet.
 *
 * - dp x tp: each dp replica is a tensor-parallel model over its tp group; DDP averages every
 *   local (already TP-sharded) gradient over the dp group, bucket by bucket during backward, then
 *   the tp hooks run (sequence parallel's replicated gradients summed over tp). The grad norm is
 *   tensor parallel's (the gradients are equal across replicas once averaged); the loss is
 *   averaged over dp (every tp rank of a replica holds the same loss).
 * - dp x pp: each dp replica is a pipeline over its pp group, fed its B/dp rows. A stage runs
 *   backward once per micro-batch of its schedule: the earlier ones only accumulate, and the
 *   buckets go during the last one as its gradients become final (DataParallel.wrapPipeline).
 *   Then the tied embedding's sum between the first and last stage (in the pp group) works on the
 *   dp-averaged gradients (both sums are linear, so their order does not matter). Grad norm: the
 *   pipeline's.
 * - ZeRO-1/2 over the dp group of either (Megatron's "distributed optimizer"): the local
 *   parameters of a tp rank or a stage are the set ZeRO shards over its dp group. The grad norm is
 *   tp's or the pipeline's rule over ZeRO's pieces: each group's squares summed over dp
 *   (grad-squares.ts), cut ones then over tp, stages over pp, copies counted once. The tied copy
 *   has a bucket of its own on both end stages, so its pieces are laid out alike and are summed
 *   between them; so do tp's whole parameters under sequence parallel, summed over tp. Sharded checkpoints hold ZeRO's flat pieces of TP slices and stage parameters
 *   (ZeroOptimizer.pieces with PieceNaming): they load in any layout.
 *
 * - tp x pp (and dp x pp x tp): each pipeline stage is a tensor-parallel model over its tp group;
 *   activations between stages are whole on every tp rank (after a row-parallel layer's all-reduce),
 *   so stage s's tp rank r talks to stage s+1's tp rank r over their pp group. The tied head's
 *   gradient sum between the first and last stage is then of the same vocabulary slice. The grad
 *   norm is the pipeline's, which takes each stage's over its tp group (Pipeline.attach's
 *   tensorParallel), then sums over the stages.
 *
 * Refused: ZeRO-3 beside tp or pp (its per-layer gathers are not wired into tensor-parallel
 * layers or pipeline stages) and sequence parallel with a pipeline (its activations between
 * blocks are a slice of the sequence): from the flags before any rank starts
 * (cli/parallel-flags.ts checkParallelModes), and here.
 */
import type { Tensor } from '../engine/tensor.js';
import type { Optimizer } from '../optim/optimizer.js';
import { GradpathError } from '../util/errors.js';
import type { DataParallel } from './ddp.js';
import type { DistributedRunHooks } from './run-hooks.js';
import { ShardedCheckpoint } from './checkpoint.js';
import type { GradSquares } from './grad-squares.js';
import { gridCoords } from './grid.js';
import type { PipelineLoopHooks } from './pipeline.js';
import { shardPlace } from './tensor-parallel-layers.js';
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

/** Tensor parallel's options (tensorParallelHooks / tensorParallelRun), with what ZeRO beside it needs: the norm of gradients held elsewhere, and the SP sum of them. */
export type TensorParallelLoopOptions = Omit<ParallelLoopOptions, 'afterBackward'> & {
  /** Sequence parallel's sum over tp, of the whole parameters' gradients where `reduced` says they are (default .grad). */
  afterBackward?: (at: MicroStep, reduced?: (params: Tensor[]) => Float32Array[]) => void | Promise<void>;
  gradNormOf?: (params: Tensor[], squares: GradSquares) => number;
};

/** A pipeline stage's options (Pipeline.loopHooks; what its PipelineLoopHooks add is optional here, so a chapter may type them as loop options). */
export type PipelineLoopOptions = Omit<ParallelLoopOptions, 'forwardBackward' | 'afterBackward'> & {
  forwardBackward?: (at: MicroStep, beforeLastBackward?: () => void) => number | Promise<number>;
  afterBackward?: (at: MicroStep, gradOf?: (t: Tensor) => Float32Array) => void | Promise<void>;
} & Partial<Pick<PipelineLoopHooks, 'gradNormOf' | 'tied' | 'copies'>>;

/**
 * One set of loop options from the modes of a run: `dp` the data-parallel wrapper (over the grid's
 * dp group), `tp` tensor parallel's options (tensorParallelRun, built with the grid: its sharded
 * state is the whole layout's), `pipe` the pipeline's loop hooks (Pipeline.loopHooks, its batches
 * already cut to this replica's rows), `pipeRun` a pipeline stage's checkpoints and timeline
 * (pipeline-checkpoint.ts, built with the grid: dp rank 0's replica writes; with tp, each stage's
 * pieces cut as tp cuts them). `dpRun` makes data parallel's own checkpoints and timeline, used
 * when nothing else brings them. With ZeRO beside tp or pp, the checkpoints that tp or the stages
 * bring are re-made of ZeRO's pieces (same directory, ranks, layout and named generators).
 */
export function composeParallel(p: { dp?: DataParallel | null; tp?: TensorParallelLoopOptions; pipe?: PipelineLoopOptions; pipeRun?: DistributedRunHooks; dpRun?: () => DistributedRunHooks }): ParallelLoopOptions {
  const { dp, tp, pipe } = p;
  const dpOptions = dp?.loopOptions();
  const zero = dp?.zero ?? 0;
  const split = Boolean(tp || pipe); // the model is a tp rank's slices or a stage's blocks
  if (zero > 0 && split) {
    if (zero === 3) throw new GradpathError('ZeRO-3 with tensor or pipeline parallelism is not supported: its per-layer gathers are not wired into tensor-parallel layers or pipeline stages; use --zero 1 or 2');
    if (!(pipe ?? tp)!.gradNormOf || (pipe && pipe.tied === undefined)) throw new Error('composeParallel: ZeRO beside tp or pp needs the hooks of tensorParallelHooks / Pipeline.loopHooks');
  }
  const parts = [pipe, tp, dpOptions].filter((x): x is ParallelLoopOptions => Boolean(x));
  const out: ParallelLoopOptions = { ...dpOptions, ...tp, ...pipe };
  delete (out as TensorParallelLoopOptions).gradNormOf;
  for (const k of ['tied', 'copies'] as const) delete (out as Partial<PipelineLoopHooks>)[k];
  // after backward: gradients reduced over dp first, then the pipeline's tied sum (on what dp
  // reduced: .grad, or ZeRO's piece) and sequence parallel's sum over tp
  const reduced = dp ? (params: Tensor[]) => dp.reducedGrads(params) : undefined;
  const hooks = [
    dpOptions?.afterBackward,
    pipe?.afterBackward && ((at: MicroStep) => pipe.afterBackward!(at, reduced && ((t) => reduced([t])[0]))),
    tp?.afterBackward && ((at: MicroStep) => tp.afterBackward!(at, reduced)),
  ].filter((f): f is NonNullable<typeof f> => Boolean(f));
  if (hooks.length) {
    out.afterBackward = async (at) => {
      for (const h of hooks) await h(at);
    };
  }
  if (pipe?.forwardBackward && dp) out.forwardBackward = dp.wrapPipeline(pipe.forwardBackward);
  if (dpOptions) {
    out.optimizer = dpOptions.optimizer;
    out.reduceLoss = dpOptions.reduceLoss;
  }
  if (zero > 0 && split) {
    const rule = (pipe ?? tp)!.gradNormOf!; // the pipeline's takes tp's per stage
    out.gradNorm = (params) => rule(params, dp!.gradSquares);
    out.scaleGrads = dpOptions!.scaleGrads;
  }
  // single-file checkpoints need the whole model on rank 0: a stage or a tp rank holds part of it
  if (pipe || parts.some((x) => x.checkpoints === false)) out.checkpoints = false;
  // checkpoints and timeline, one set for the layout: tensor parallel's covers dp x tp, the
  // pipeline stages' (cut by tp where it is) pp, dp x pp, tp x pp and dp x pp x tp, data parallel's the rest
  const run = p.pipe ? p.pipeRun : p.tp ? undefined : p.dp ? p.dpRun?.() : undefined;
  if (run) {
    out.timeline = run.timeline;
    out.sharded = run.sharded;
  }
  if (p.pipe && !run) delete out.sharded; // tensor parallel's alone would miss the stage's tied copy
  if (zero > 0 && split && out.sharded) out.sharded = zeroCheckpoint(dp!, out.sharded, pipe?.copies ?? {});
  return out;
}

/**
 * The sharded checkpoint of ZeRO over the dp group of a tp rank or pipeline stage, in the place
 * of the one tp or the stages bring (`base`: its directory, ranks and layout, and the global
 * parameter order): every dp rank writes its pieces; of a tensor tp does not cut, only tp rank 0's
 * dp group (the other tp ranks hold the same); of the tied copy, none (the first stage's wte).
 */
function zeroCheckpoint(dp: DataParallel, base: ShardedCheckpoint, copies: Record<string, string>): ShardedCheckpoint {
  const { dp: d, pp, tp } = base.layout;
  const wholeWriter = gridCoords(base.rank, { dp: d ?? 1, pp: pp ?? 1, tp: tp ?? 1 }).tp === 0;
  const state = { ...dp.shardedState({ place: shardPlace, copies, writes: (cut) => cut || wholeWriter, writesBuffers: wholeWriter, paramOrder: base.state.optimizerNames().params }), generators: base.state.generators };
  return new ShardedCheckpoint(base.dir, state, base.world, { ...base.layout, zero: dp.zero });
}
