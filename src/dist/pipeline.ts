/**
 * Pipeline parallelism (--pp): the model's blocks split into consecutive stages, one per rank of
 * the pp communicator, and each step's batch cut into m micro-batches that flow through the
 * stages (activations forward, their gradients backward) on a GPipe or 1F1B schedule.
 *
 * What a chapter does with it (a few lines; see chapters/transformers/chargpt.ts):
 *
 *   const pipe = await setupPipeline({ pp, ppSchedule, microBatches }, nLayer, batchSize);
 *   const model = build(..., { layers: pipe.layers });      // this stage's blocks only
 *   pipe.attach(model, { hidden: nEmbd, tied: true });
 *   trainLoop({ ...pipe.loopHooks(() => drawBatch()), ... });  // forwardBackward, afterBackward, gradNorm, stepMetrics
 *   evaluate: pipe.evalLoss(x, y)                            // forward through the stages
 *
 * Tied embedding and head (GPT-2): the first stage holds wte, the last a copy as its head's
 * weight (the same values: both stages build the whole model from the same seed first). After
 * backward the two gradients are all-reduced (summed) between the two stages, as Megatron does
 * with its embedding group, so both copies get the full gradient and the same update. The grad
 * norm counts the copy once.
 */
import type { Tensor } from '../engine/tensor.js';
import { Dropout } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import { GradpathError } from '../util/errors.js';
import { Generator } from '../util/random.js';
import type { Communicator } from './communicator.js';
import { processGrid, type ProcessGrid } from './grid.js';
import { PipelineLink } from './pipeline-link.js';
import { stageLayers } from './pipeline-partition.js';
import { bubbleFraction, checkScheduleName, pipelineSchedule, type PipeAction, type PipelineScheduleName } from './pipeline-schedule.js';
import { runStage, type StageModel } from './pipeline-stage.js';
import { initProcessGroup, inMpiJob } from './process-group.js';
import type { ShardSpec } from './shard-spec.js';
import { stepTimeline } from './timeline.js';
import type { TensorParallel } from './tensor-parallel.js';
import { tensorParallelGradNorm } from './tensor-parallel-training.js';
import { localGradSquares, type GradSquares } from './grad-squares.js';

export interface PipelineFlags {
  pp: number;
  ppSchedule: string;
  /** Default 2 * pp (see defaultMicroBatches). */
  microBatches?: number;
}

/**
 * m = 2 p by default: the bubble (p - 1) / (m + p - 1) is then below a third (1/5 at p = 2),
 * while each micro-batch keeps half a stage's share of the batch or more, so the kernels still
 * see matrices large enough to run near their speed; more micro-batches shrink the bubble further
 * (--micro-batches) for as long as the batch divides.
 */
export function defaultMicroBatches(pp: number): number {
  return 2 * pp;
}

export type PipelineModel = StageModel & Module;

/**
 * A stage's training-loop hooks (Pipeline.loopHooks), with what data parallel over the stage
 * needs (dist/compose.ts): forwardBackward calls beforeLastBackward before the schedule's last
 * backward; afterBackward sums the tied weight's gradient where gradOf says it is; gradNormOf
 * is the norm of gradients held elsewhere (ZeRO's pieces); tied is the stage's tied copy, and
 * copies its name as a checkpoint knows it (Pipeline.tiedCopies).
 */
export interface PipelineLoopHooks {
  forwardBackward: (at: { micro: number; accumSteps: number }, beforeLastBackward?: () => void) => Promise<number>;
  afterBackward: (at: unknown, gradOf?: (t: Tensor) => Float32Array) => void;
  gradNorm: (params: Tensor[]) => number;
  gradNormOf: (params: Tensor[], squares: GradSquares) => number;
  stepMetrics: () => Record<string, number>;
  tied: Tensor | null;
  copies: Record<string, string>;
}

export class Pipeline {
  readonly stage: number;
  readonly stages: number;
  readonly layers: [number, number];
  readonly link: PipelineLink;
  private readonly actions: PipeAction[];
  private model: PipelineModel | null = null;
  /** The stage's tp group when its model is tensor-parallel too (tp x pp); set by attach. */
  tensorParallel: TensorParallel | null = null;
  /** This stage's dropout mask stream (see attach), null without dropout: a checkpoint saves it. */
  masks: Generator | null = null;
  private hidden = 0;
  /** This stage's copy of the tied embedding/head weight, when the first and last stage differ. */
  private tiedCopy: { name: string; tensor: Tensor } | null = null;
  private stepIdle = 0;
  private stepWall = 0;
  private bubbles: number[] = [];
  /** The last step's measured bubble (mean over the stages) and the most micro-batches held at once here. */
  lastBubble = NaN;
  peakLive = 0;

  constructor(
    readonly comm: Communicator,
    readonly nLayer: number,
    readonly schedule: PipelineScheduleName,
    readonly microBatches: number,
    /** The first and last stage's communicator for the tied weight (the pp one with 2 stages); null elsewhere. */
    private readonly embeddingGroup: Communicator | null,
  ) {
    this.stage = comm.rank;
    this.stages = comm.size;
    this.layers = stageLayers(nLayer, this.stages, this.stage);
    this.link = new PipelineLink(comm);
    this.actions = pipelineSchedule(schedule, this.stages, this.stage, microBatches);
  }

  /** Over the pp communicator (collective: every stage calls it). */
  static async create(comm: Communicator, nLayer: number, schedule: string, microBatches: number): Promise<Pipeline> {
    const name = checkScheduleName(schedule);
    const p = comm.size, ends = comm.rank === 0 || comm.rank === p - 1;
    const group = p <= 2 ? comm : await comm.split(ends ? 0 : -1, comm.rank, 'pp-embedding');
    return new Pipeline(comm, nLayer, name, microBatches, ends ? group : null);
  }

  get first(): boolean {
    return this.link.first;
  }

  get last(): boolean {
    return this.link.last;
  }

  /**
   * The model built with this stage's layers; hidden: C of the (b, T, C) activations; tied:
   * embedding and head share a weight. seed: with dropout, this stage's masks are drawn from
   * their own stream (seeded from it and the stage), not from the generator the batches come
   * from: each stage draws only its own layers' masks, and a shared stream would then give each
   * stage another batch. (Masks then differ from a one-process run's; without dropout nothing does.)
   * tensorParallel: the stage's model is split over this tp group too (tp x pp).
   */
  attach(model: PipelineModel, opts: { hidden: number; tied: boolean; seed?: number; tensorParallel?: TensorParallel | null }): void {
    this.model = model;
    this.tensorParallel = opts.tensorParallel ?? null;
    this.hidden = opts.hidden;
    const masks = new Generator((opts.seed ?? 0) * 1009 + 7919 * (this.stage + 1));
    for (const layer of modulesOf(model)) {
      if (layer instanceof Dropout && layer.p > 0) (layer as { generator: Generator }).generator = this.masks = masks;
    }
    if (opts.tied && this.stages > 1 && (this.first || this.last)) {
      const name = this.first ? 'wte.weight' : 'lm_head.weight';
      const tensor = model.namedParameters().find(([n]) => n === name)?.[1];
      if (!tensor) throw new Error(`pipeline: stage ${this.stage} has no ${name} to tie`);
      this.tiedCopy = { name, tensor };
      tiedCopies.set(model, tensor);
    }
  }

  /**
   * Forward and backward of one batch over the schedule (x, y: (B, T) on every stage; the first
   * reads x, the last y). Returns the batch's mean loss, the same on every stage. at.accumSteps:
   * the loop's gradient accumulation (the loss is scaled by 1 / (m * accumSteps)).
   */
  async forwardBackward(batch: { x: Tensor; y: Tensor }, at: { micro: number; accumSteps: number }, beforeLastBackward?: () => void): Promise<number> {
    const model = this.need();
    if (at.micro === 0) {
      stepTimeline().beginStep(); // until the training loop begins the steps itself
      this.stepIdle = this.stepWall = 0;
    }
    const t0 = performance.now();
    const mb = this.split(batch);
    const run = runStage(model, this.link, this.actions, mb, 1 / (this.microBatches * at.accumSteps), beforeLastBackward);
    this.peakLive = Math.max(this.peakLive, run.peakLive);
    // the last stage knows the loss; the wait for the slowest stage is the tail of the bubble
    const loss = new Float32Array([this.last ? run.lossSum / this.microBatches : 0]);
    const reduced = this.comm.allReduce(loss);
    this.link.drain('end of the schedule');
    await Promise.all([reduced, this.link.settle()]);
    this.stepWall += (performance.now() - t0) / 1000;
    this.stepIdle += this.link.takeIdle();
    if (at.micro === at.accumSteps - 1) {
      const s = new Float32Array([this.stepIdle, this.stepWall]);
      await stepTimeline().wait('comm', 'pp bubble statistics', this.comm.allReduce(s));
      this.lastBubble = s[0] / s[1];
      this.bubbles.push(this.lastBubble);
    }
    return loss[0];
  }

  /**
   * After backward: the tied weight's two gradients summed between the first and last stage.
   * gradOf: where the weight's gradient is (default its .grad; ZeRO: this rank's piece of its
   * reduced gradient, laid out alike on both stages).
   */
  afterBackward(gradOf: (t: Tensor) => Float32Array = (t) => t.grad?.data as Float32Array): void {
    if (!this.tiedCopy || !this.embeddingGroup) return;
    const g = gradOf(this.tiedCopy.tensor);
    if (!g) throw new Error(`pipeline: ${this.tiedCopy.name} has no gradient after backward`);
    const group = this.embeddingGroup;
    group.allReduce(g);
    stepTimeline().waitSync('comm', 'tied embedding gradient', () => group.waitAll());
  }

  /**
   * The global gradient norm: squares summed over the stages, the tied copy counted once (on the
   * first stage); a tensor-parallel stage's own over its tp group first. squares: where the
   * gradients are (grad-squares.ts; ZeRO: pieces over the dp group).
   */
  gradNorm(params: Tensor[], squares: GradSquares = localGradSquares): number {
    const own = this.tiedCopy && this.last ? params.filter((p) => p !== this.tiedCopy!.tensor) : params;
    const tp = this.tensorParallel;
    const sq = new Float32Array([tp ? tensorParallelGradNorm(own, tp, squares) ** 2 : squares([own])[0]]);
    this.comm.allReduce(sq);
    stepTimeline().waitSync('comm', 'grad norm over stages', () => this.comm.waitAll());
    return Math.sqrt(sq[0]);
  }

  /** This stage's copy of the tied embedding/head weight, when the first and last stage differ (null elsewhere). */
  get tiedParameter(): Tensor | null {
    return this.tiedCopy?.tensor ?? null;
  }

  /** Mean loss of one batch, forward only through the stages (under noGrad); the same on every stage. */
  evalLoss(x: Tensor, y: Tensor): number {
    const model = this.need();
    const [B, T] = x.shape;
    const input = this.first ? x : this.link.recvForward([B, T, this.hidden], 'eval batch');
    const r = model.forwardStage(input, this.last ? y : null);
    if (!this.last) this.link.sendForward(r.hidden!);
    const loss = new Float32Array([this.last ? r.loss!.item() : 0]);
    this.link.track(this.comm.allReduce(loss));
    this.link.drain('eval');
    this.link.takeIdle();
    return loss[0];
  }

  /** For metrics.jsonl's batch events: `bubble`, the measured idle fraction of the last step, and the formula's. */
  stepMetrics(): Record<string, number> {
    return { bubble: this.lastBubble, bubble_formula: bubbleFraction(this.stages, this.microBatches) };
  }

  /** "pipeline 1f1b, 2 stages x 4 micro-batches: bubble 0.213 measured (mean of 19 steps after the first), 0.200 by (p-1)/(m+p-1)". */
  summary(): string {
    const later = this.bubbles.slice(1);
    const measured = later.length ? later.reduce((a, b) => a + b, 0) / later.length : this.bubbles[0];
    return `pipeline ${this.schedule}, ${this.stages} stages x ${this.microBatches} micro-batches: bubble ${measured?.toFixed(3) ?? 'n/a'} measured (mean of ${later.length || this.bubbles.length} steps${later.length ? ' after the first' : ''}), ${bubbleFraction(this.stages, this.microBatches).toFixed(3)} by (p-1)/(m+p-1)`;
  }

  /** The mean measured bubble over the steps after the first (NaN before two steps). */
  meanBubble(): number {
    const later = this.bubbles.slice(1);
    return later.length ? later.reduce((a, b) => a + b, 0) / later.length : NaN;
  }

  /**
   * The loop's hooks for this stage: the step draws its batch with `batch` on every stage (so
   * every rank's random stream advances alike), then runs the schedule.
   */
  loopHooks(batch: () => { x: Tensor; y: Tensor }): PipelineLoopHooks {
    return {
      forwardBackward: (at, beforeLastBackward) => this.forwardBackward(batch(), at, beforeLastBackward),
      afterBackward: (_at, gradOf) => this.afterBackward(gradOf),
      gradNorm: (params) => this.gradNorm(params),
      gradNormOf: (params, squares) => this.gradNorm(params, squares),
      stepMetrics: () => this.stepMetrics(),
      tied: this.tiedParameter,
      copies: this.tiedCopies(),
    };
  }

  /**
   * What this stage holds, for sharded checkpoints: its parameters whole, under their global
   * names, and AdamW's moments of each. The last stage's copy of the tied weight is left out (the
   * first stage lists it as wte.weight); tiedCopies() says where it goes on loading.
   */
  shardSpecs(): ShardSpec[] {
    const skip = this.tiedCopy && this.last ? this.tiedCopy.tensor : null;
    const specs: ShardSpec[] = [];
    for (const [name, p] of this.need().namedParameters()) {
      if (p === skip) continue;
      for (const prefix of ['', 'exp_avg.', 'exp_avg_sq.']) specs.push({ name: prefix + name, shape: [...p.shape] });
    }
    return specs;
  }

  /** Tensors of this stage that are copies of another stage's: local name -> global name. */
  tiedCopies(): Record<string, string> {
    return this.tiedCopy && this.last && !this.first ? { [this.tiedCopy.name]: 'wte.weight' } : {};
  }

  private split(batch: { x: Tensor; y: Tensor }) {
    const [B, T] = batch.x.shape, m = this.microBatches;
    if (B % m !== 0) throw new GradpathError(`--micro-batches ${m} does not divide the batch of ${B} sequences; use a divisor of ${B} or change --batch-size`);
    const b = B / m;
    const cut = (t: Tensor) => Array.from({ length: m }, (_, j) => t.narrow(0, j * b, b).contiguous()); // (b, T)
    return { x: cut(batch.x), y: cut(batch.y), hidden: [b, T, this.hidden] };
  }

  private need(): PipelineModel {
    if (!this.model) throw new Error('pipeline: attach the stage model first');
    return this.model;
  }
}

/** Each pipeline stage model's copy of the tied weight (set by Pipeline.attach): data parallel gives it a bucket of its own. */
const tiedCopies = new WeakMap<Module, Tensor>();

/** The tied embedding/head copy of a stage model attached to a pipeline whose first and last stage differ, or null. */
export function pipelineTiedCopy(model: Module): Tensor | null {
  return tiedCopies.get(model) ?? null;
}

function modulesOf(m: Module): Module[] {
  return [m, ...m.namedChildren().flatMap(([, c]) => modulesOf(c))];
}

/**
 * The pipeline of this job from the flags: MPI initialised, the process grid (the run's, from
 * parallel-context.ts, when given; else dp and tp 1), the stage's layers. Refused, with what to
 * do, outside an MPI job or when the job's size is not pp.
 */
export async function setupPipeline(flags: PipelineFlags, nLayer: number, batchSize: number, runGrid?: ProcessGrid | null): Promise<{ pipe: Pipeline; worldRank: number }> {
  const m = flags.microBatches ?? defaultMicroBatches(flags.pp);
  checkScheduleName(flags.ppSchedule);
  stageLayers(nLayer, flags.pp, 0); // pp <= n_layer, before MPI starts
  // with data parallel too, each replica's pipeline carries its B/dp rows
  const dp = runGrid?.shape.dp ?? 1, rows = batchSize / dp;
  if (!Number.isInteger(rows) || rows % m !== 0) throw new GradpathError(`--micro-batches ${m} does not divide ${dp > 1 ? `the ${batchSize} / ${dp} = ${rows} rows of a dp replica` : `--batch-size ${batchSize}`}; pick a divisor of ${dp > 1 ? 'that' : batchSize} (or another --batch-size)`);
  if (!inMpiJob()) throw new GradpathError(`--pp ${flags.pp} runs one process per stage: start it with \`gradpath launch -n ${flags.pp} -- <command> --pp ${flags.pp} ...\``);
  const { world } = initProcessGroup();
  if (!runGrid && world.size !== flags.pp) throw new GradpathError(`--pp ${flags.pp} needs a job of ${flags.pp} ranks (one per stage; data and tensor parallel are 1 here), but it has ${world.size}; launch with -n ${flags.pp}`);
  const grid = runGrid ?? (await processGrid(world, { dp: 1, pp: flags.pp, tp: 1 }));
  return { pipe: await Pipeline.create(grid.pp, nLayer, flags.ppSchedule, m), worldRank: world.rank };
}
