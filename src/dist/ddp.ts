/**
 * Data parallelism for the training loop: `--dp N` (DDP, PyTorch-style) and `--zero 1|2|3`.
 *
 * Every rank holds the model (ZeRO-3: a piece of it), starts from rank 0's parameters (broadcast
 * here) and trains on its own rows of the global batch: the batch every rank draws from the same
 * generator (or reads at the same position), cut into N blocks of B/N rows, rank r keeping block
 * r. The N ranks together see exactly the rows one process would with batch B, and the mean of
 * their gradients is that process's gradient (each rank's loss is a mean over its rows).
 * Gradients are averaged bucket by bucket while backward runs (grad-buckets.ts); ZeRO shards the
 * optimizer state, gradients and parameters (zero.ts, zero3.ts).
 *
 *   const dp = await dataParallel({ model, optimizer, accumSteps, batchSize: B, layers: model.h }, { dp: 2, zero: 1 });
 *   trainLoop({ ..., loss: dp.wrapLoss((at) => lossOf(dp.rows(batch()))), ...dp.loopOptions(), ...dp.runHooks(runDir, 'GPT-2') });
 *
 * Only rank 0 (dp.isRoot) prints and writes: the chapter passes the other ranks no run
 * directory and no progress display.
 */
import type { Tensor } from '../engine/tensor.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { GradpathError } from '../util/errors.js';
import type { Communicator } from './communicator.js';
import { bucketsBySize, checkBucketMb, DEFAULT_BUCKET_MB, pieceShardSpecs, type FlatBucket } from './flat-buckets.js';
import { GradBuckets } from './grad-buckets.js';
import { initProcessGroup, inMpiJob } from './process-group.js';
import { optimizerParamNames, replicaState, type ShardedState } from './checkpoint.js';
import { distributedRun, type DistributedRunHooks } from './run-hooks.js';
import { batchRows, describeLayout } from './parallel-context.js';
import type { GridShape } from './grid.js';
import type { ShardSpec } from './shard-spec.js';
import { stepTimeline } from './timeline.js';
import { checkZeroStage, ReplicatedParams, ZeroOptimizer, type PieceNaming, type ZeroStage } from './zero.js';
import { localGradSquares, type GradSquares } from './grad-squares.js';
import { pipelineTiedCopy } from './pipeline.js';
import { shardPlace } from './tensor-parallel-layers.js';
import { playbookCommBytes, playbookMemory, type DataParallelReport } from './zero-memory.js';
import { zero3Units, Zero3Params } from './zero3.js';

export interface DataParallelFlags {
  /** Data-parallel ranks (with only data parallelism, the world size). */
  dp?: number;
  zero?: number;
  /** Gradient bucket size in MB (default 25). */
  bucketMb?: number;
}

export interface DataParallelSetup {
  model: Module;
  optimizer: Optimizer;
  accumSteps?: number;
  /** The global batch size (rows per micro-batch over all ranks): must divide by the ranks. */
  batchSize: number;
  /** ZeRO-3's layers, gathered one at a time (GPT: model.h); the rest of the model is one more unit. */
  layers?: Module[];
  /** The data-parallel group (with tensor or pipeline parallelism too); default the world. */
  comm?: Communicator;
}

/** The LoopOptions fields data parallelism sets (structurally; dist sits below train). */
export interface DataParallelLoopOptions {
  optimizer: Optimizer;
  afterBackward: () => Promise<void>;
  reduceLoss: (loss: number) => Promise<number>;
  gradNorm?: (params: Tensor[]) => number;
  scaleGrads?: (params: Tensor[], factor: number) => void;
  checkpoints: boolean;
}

/** Whether the flags ask for data parallelism (then dataParallel() must be called). */
export function wantsDataParallel(f: DataParallelFlags): boolean {
  return (f.dp !== undefined && f.dp > 1) || (f.zero ?? 0) > 0 || (f.dp !== undefined && inMpiJob());
}

/** This process's rank in the job from the launcher's environment (0 outside one): who prints, before MPI starts. */
export function launchedRank(env: NodeJS.ProcessEnv = process.env): number {
  return Number(env.OMPI_COMM_WORLD_RANK ?? env.PMI_RANK ?? env.PMIX_RANK ?? 0);
}

/** How to start this very command on n ranks. */
export function launchHint(n: number, argv: string[] = process.argv.slice(2)): string {
  const cmd = argv.join(' ');
  return `launch ${n} ranks: \`gradpath launch -n ${n} -- ${cmd}\` (or \`mpirun -np ${n} npx gradpath ${cmd}\`)`;
}

/** Refuses data-parallel flags outside an MPI job at once (before any data is read or model built). */
export function checkLaunched(f: DataParallelFlags): void {
  const n = f.dp ?? 1;
  if (!inMpiJob()) throw new GradpathError(`--dp ${n}${f.zero ? ` --zero ${f.zero}` : ''} needs an MPI job; ${launchHint(n)}`);
}

/** Wraps model and optimizer for data parallelism; collective: every rank of the group calls it. */
export async function dataParallel(s: DataParallelSetup, f: DataParallelFlags): Promise<DataParallel> {
  const zero = checkZeroStage(f.zero ?? 0);
  const bucketMb = checkBucketMb(f.bucketMb ?? DEFAULT_BUCKET_MB);
  const want = f.dp ?? 1;
  if (!Number.isInteger(want) || want < 1) throw new GradpathError(`--dp must be a positive integer; got ${f.dp}`);
  checkLaunched(f);
  const comm = s.comm ?? initProcessGroup().world;
  if (comm.size !== want) {
    throw new GradpathError(`--dp ${want} but the data-parallel group has ${comm.size} ranks (the world size divided by tp x pp); ${launchHint(want)} or change --dp`);
  }
  if (s.batchSize % comm.size !== 0) throw new GradpathError(`the batch size ${s.batchSize} does not divide over --dp ${comm.size} ranks; use a multiple of ${comm.size}`);
  const dp = new DataParallel(s, comm, zero, bucketMb);
  await dp.broadcastParameters();
  // ZeRO-3's gathers get a communicator (and thread) of their own: they must not queue behind gradient buckets
  dp.shard(zero === 3 ? await comm.split(0, comm.rank, `${comm.name}-gather`) : null);
  return dp;
}

/**
 * Under sequence parallelism, tensor parallel's whole parameters (LayerNorms, wpe, row-parallel
 * biases), whose gradients are summed over tp after backward; a model split for tensor
 * parallelism names its group in `parallel` (models/gpt.ts).
 */
function sequenceParallelWhole(model: Module): Set<Tensor> {
  const tp = (model as { parallel?: { sequenceParallel?: boolean } | null }).parallel;
  return new Set(tp?.sequenceParallel ? model.parameters().filter((p) => !shardPlace(p)) : []);
}

export class DataParallel {
  readonly rank: number;
  readonly size: number;
  /** The rank that prints and writes (rank 0 of the world). */
  readonly isRoot: boolean;
  private grads!: GradBuckets;
  private buckets!: FlatBucket[];
  private zeroOpt: ZeroOptimizer | null = null;
  /** Floats of gradient bucket buffers allocated so far, after each step (they should stop growing after the first). */
  private readonly allocatedBucketFloats: number[] = [];
  /** Bytes this rank sent for gradients and parameters in the last training step (evaluations after it excluded). */
  private sentLastStep = 0;
  /** Whether this replica's model is a pipeline stage (wrapPipeline): ZeRO-2's formula then counts full gradients. */
  private pipelined = false;
  /** Per step, the seconds this rank waited for its gradient buckets after backward: the communication that did not hide behind it. */
  readonly exposedGradSeconds: number[] = [];

  constructor(private readonly s: DataParallelSetup, readonly comm: Communicator, readonly zero: ZeroStage, readonly bucketMb: number) {
    this.rank = comm.rank;
    this.size = comm.size;
    this.isRoot = initProcessGroup().rank === 0;
  }

  /** Every rank starts from rank 0's parameters. */
  async broadcastParameters(): Promise<void> {
    await Promise.all(this.s.model.parameters().map((p) => this.comm.broadcast(p.data as Float32Array, 0)));
  }

  /** Lays out buckets and, with ZeRO, splits the state over the ranks (after the broadcast). */
  shard(gatherComm: Communicator | null): void {
    const { model, optimizer } = this.s;
    const named = model.namedParameters();
    if (this.zero === 3) {
      const layers = this.s.layers ?? [];
      this.buckets = zero3Units(model, layers, this.size);
      this.grads = new GradBuckets(this.comm, this.buckets, 'reduce-scatter', true);
      this.zeroOpt = new ZeroOptimizer(optimizer, this.comm, 3, this.buckets, this.grads, () => new Zero3Params(gatherComm ?? this.comm, this.buckets, model, layers));
    } else {
      // gradients summed over another group after the dp reduction, in buckets apart (ZeRO sums their pieces, laid
      // out alike there): a pipeline stage's tied embedding copy (with the other end's), tp's whole parameters under SP
      const tied = pipelineTiedCopy(model);
      const apart = [new Set(tied ? [tied] : []), sequenceParallelWhole(model)].filter((x) => x.size > 0);
      this.buckets = bucketsBySize(named, this.bucketMb * 2 ** 20, this.size, apart);
      this.grads = new GradBuckets(this.comm, this.buckets, this.zero === 0 ? 'all-reduce' : 'reduce-scatter', this.zero === 2);
      if (this.zero > 0) this.zeroOpt = new ZeroOptimizer(optimizer, this.comm, this.zero as 1 | 2, this.buckets, this.grads, () => new ReplicatedParams(this.comm, this.buckets));
    }
  }

  /** The optimizer the loop steps: the given one (DDP) or its ZeRO wrapper. */
  get optimizer(): Optimizer {
    return this.zeroOpt ?? this.s.optimizer;
  }

  /** B/N: the rows each rank computes per micro-batch. */
  localBatch(B = this.s.batchSize): number {
    if (B % this.size !== 0) throw new GradpathError(`the batch size ${B} does not divide over --dp ${this.size} ranks`);
    return B / this.size;
  }

  /** This rank's block of rows of a global batch: rows [rank B/N, (rank + 1) B/N) of x and y. */
  rows(batch: { x: Tensor; y: Tensor }): { x: Tensor; y: Tensor } {
    return batchRows(batch, this.rank, this.size);
  }

  /** The loop's loss function, told whether its backward is the step's last (only that one communicates). */
  wrapLoss<A extends { micro: number; accumSteps: number }, R>(loss: (at: A) => R): (at: A) => R {
    return (at) => {
      if (at.micro === 0) {
        this.grads.resetCounters();
        if (this.zeroOpt?.params instanceof Zero3Params) this.zeroOpt.params.resetCounters();
      }
      this.grads.beginMicroStep(at.micro, at.accumSteps); // ZeRO-2/3: the last micro-step's gradients reduce-scattered and freed first
      return loss(at);
    };
  }

  /**
   * A pipeline stage's forward-backward as the loop's (dp x pp): the stage runs backward once per
   * micro-batch of its schedule, so the buckets stay quiet (gradients accumulate, as no_sync)
   * until the schedule's last backward, whose hooks send them as they become final.
   */
  wrapPipeline<A extends { micro: number; accumSteps: number }, R>(forwardBackward: (at: A, beforeLastBackward: () => void) => R): (at: A) => R {
    this.pipelined = true;
    return this.wrapLoss((at: A) => {
      const sync = this.grads.sync;
      this.grads.sync = false;
      return forwardBackward(at, () => {
        this.grads.noteHeldGrads(); // the earlier micro-batches' full gradients: ZeRO-2 holds them too, here
        this.grads.sync = sync;
      });
    });
  }

  /** Sums of squares of the mean gradients by group of parameters (grad-squares.ts), wherever this mode keeps them. */
  get gradSquares(): GradSquares {
    const z = this.zeroOpt;
    return z ? (groups) => z.gradSquares(groups) : localGradSquares;
  }

  /**
   * Where these parameters' mean gradients are after the step's backward, to be summed over another
   * group: their .grad (DDP), or this rank's pieces of the buckets that hold them and nothing else
   * (ZeRO: bucketsBySize's `apart`).
   */
  reducedGrads(params: Tensor[]): Float32Array[] {
    if (this.zeroOpt) return this.zeroOpt.piecesOf(params);
    return params.map((p) => {
      if (!p.grad) throw new Error('data parallel: a parameter has no gradient after backward');
      return p.grad.data as Float32Array;
    });
  }

  loopOptions(): DataParallelLoopOptions {
    const z = this.zeroOpt;
    return {
      optimizer: this.optimizer,
      afterBackward: async () => {
        const t0 = performance.now();
        this.grads.sync = true; // after a backward that ran without (wrapLoss(fn, false)): the buckets go now
        await this.grads.finish();
        this.exposedGradSeconds.push((performance.now() - t0) / 1000);
      },
      // called once per step, after the optimizer's step: the step's communication is complete
      reduceLoss: async (loss) => {
        this.sentLastStep = (this.grads.sentFloats + (z ? z.params.sentFloats : 0)) * 4;
        this.allocatedBucketFloats.push(this.grads.allocatedFloats);
        const x = Float32Array.of(loss);
        await stepTimeline().wait('comm', 'loss all-reduce', this.comm.allReduce(x, 'avg'));
        return x[0];
      },
      ...(z ? { gradNorm: () => z.gradNorm(), scaleGrads: (_: Tensor[], factor: number) => z.scaleGrads(factor) } : {}),
      // ZeRO-3 holds only pieces: best.safetensors is then gathered to rank 0 (dist/checkpoint-best.ts), latest is sharded (runHooks)
      checkpoints: this.zero < 3,
    };
  }

  /**
   * What this rank saves and loads of the run (sharded checkpoints): DDP's identical replicas are
   * written by rank 0 alone; with ZeRO every rank writes its flat pieces of the parameters and
   * moments (ZeroOptimizer.pieces) and rank 0 the model's float buffers, if any. When the model
   * is itself part of a bigger one (ZeRO over the dp group of a tensor-parallel rank or pipeline
   * stage), `naming` says what its tensors are of the global model (PieceNaming), `paramOrder`
   * the global parameter order (pipeline-checkpoint.ts), and `writesBuffers` whether this
   * group's dp rank 0 saves the buffers.
   */
  shardedState(naming: PieceNaming & { paramOrder?: string[]; writesBuffers?: boolean } = {}): ShardedState {
    const { model, optimizer } = this.s;
    const z = this.zeroOpt;
    if (!z) return replicaState(model, optimizer, this.rank === 0);
    const buffers = model.namedBuffers().filter(([, b]) => b.data instanceof Float32Array);
    const writesBuffers = this.rank === 0 && (naming.writesBuffers ?? true);
    return {
      pieces: () => [...z.pieces(naming), ...(writesBuffers ? buffers.map(([name, b]) => ({ spec: { name, shape: [...b.shape] }, data: b.data as Float32Array })) : [])],
      load: (read, saved) => {
        z.loadPieces(read, saved.optimizerStep, naming);
        for (const [name, b] of buffers) (b.data as Float32Array).set(read({ name, shape: [...b.shape] }) ?? (b.data as Float32Array));
      },
      optimizerStep: () => z.stepCount,
      optimizerNames: () => ({ buffers: z.momentNames, params: naming.paramOrder ?? optimizerParamNames(model, optimizer) }),
    };
  }

  /** The loop options of a data-parallel run's sharded checkpoints in `dir` and its step timeline (run-hooks.ts); every rank passes them. `shape`: the grid's, when dp is one of its axes. */
  runHooks(dir: string, title: string, shape: GridShape = { dp: this.size, pp: 1, tp: 1 }): DistributedRunHooks {
    return distributedRun({ world: initProcessGroup().world, dir, state: this.shardedState(), layout: { ...shape, zero: this.zero }, title: `${title}, ${describeLayout(shape)}${this.zero ? ` ZeRO-${this.zero}` : ''}` });
  }

  /**
   * Every parameter's full values by global name (collective with ZeRO-3, which gathers them;
   * otherwise the parameters themselves): for saving or checking the model.
   */
  async parameterValues(): Promise<Map<string, Float32Array>> {
    const named = this.s.model.namedParameters();
    const gathered = this.zeroOpt?.params instanceof Zero3Params ? await this.zeroOpt.params.gatherAll() : null;
    return new Map(named.map(([name, p]) => [name, gathered ? gathered.get(p)! : (p.data as Float32Array)]));
  }

  /** One line for the log. */
  describe(): string {
    const mode = this.zero === 0 ? `DDP, ${this.buckets.length} gradient bucket${this.buckets.length > 1 ? 's' : ''} of <= ${this.bucketMb} MB all-reduced during backward` : this.zero === 3 ? `ZeRO-3, ${this.buckets.length} units (the model's rest + one per layer) gathered before use` : `ZeRO-${this.zero}, ${this.buckets.length} bucket${this.buckets.length > 1 ? 's' : ''} of <= ${this.bucketMb} MB reduce-scattered during backward`;
    return `data parallel: ${this.size} ranks, ${mode}; rank ${this.rank} computes ${this.localBatch()} of ${this.s.batchSize} rows per micro-batch`;
  }

  /** Memory and communication of this rank after a step, beside the Playbook's formulas. */
  report(): DataParallelReport {
    const params = this.s.model.parameters();
    const psi = params.reduce((n, p) => n + p.numel(), 0);
    // full gradients as held now or, at their most, between the last step's micro-steps
    const gradBytes = Math.max(params.reduce((n, p) => n + (p.grad ? p.grad.data.byteLength : 0), 0), this.grads.peakHeldGradBytes);
    const z = this.zeroOpt;
    let measured: DataParallelReport['measured'];
    if (!z) {
      const optimizer = Object.entries(this.s.optimizer.stateDict()).reduce((n, [k, t]) => n + (k === 'step' ? 0 : t.data.byteLength), 0);
      const p = params.reduce((n, t) => n + t.data.byteLength, 0);
      measured = { params: p, grads: gradBytes, optimizer, total: p + gradBytes + optimizer, buffers: this.grads.persistentBytes() };
    } else {
      const held = z.params.bytes();
      const grads = gradBytes + this.grads.persistentBytes();
      const optimizer = z.stateBytes();
      measured = { params: held.params, grads, optimizer, total: held.params + grads + optimizer, buffers: held.buffers + this.grads.peakFlatFloats * 4 };
    }
    const allocated = this.allocatedBucketFloats;
    return {
      zero: this.zero, ranks: this.size, accum: this.s.accumSteps ?? 1, psi, formula: playbookMemory(psi, this.size, this.zero, this.pipelined), measured, pipelined: this.pipelined,
      commBytesPerStep: { measured: this.sentLastStep, formula: playbookCommBytes(psi, this.size, this.zero, this.s.accumSteps ?? 1) },
      bucketBytesAllocated: { afterFirstStep: (allocated[0] ?? 0) * 4, afterLastStep: (allocated[allocated.length - 1] ?? 0) * 4 },
      exposedGradSeconds: mean(this.exposedGradSeconds.length > 1 ? this.exposedGradSeconds.slice(1) : this.exposedGradSeconds),
    };
  }

  /**
   * What this rank holds, as global tensors (for sharded checkpoints): DDP and ZeRO-1/2 every
   * parameter whole; ZeRO-3 flat ranges of them; with ZeRO, flat ranges of the optimizer moments.
   */
  shardSpecs(): ShardSpec[] {
    const named = this.s.model.namedParameters();
    const params = this.zero === 3 ? pieceShardSpecs(this.buckets, this.rank) : named.map(([name, p]) => ({ name, shape: [...p.shape] }));
    if (!this.zeroOpt) {
      const moments = ['exp_avg', 'exp_avg_sq'].filter((m) => Object.keys(this.s.optimizer.stateDict()).some((k) => k.startsWith(`${m}.`)));
      return [...params, ...moments.flatMap((m) => named.map(([name, p]) => ({ name: `${m}.${name}`, shape: [...p.shape] })))];
    }
    return [...params, ...this.zeroOpt.shardSpecs()];
  }
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}
