/**
 * ZeRO (Rajbhandari et al.; the Ultra-Scale Playbook's "ZeRO"): the optimizer state, then the
 * gradients, then the parameters split over the data-parallel ranks instead of replicated.
 *
 * Every stage shares one layout (flat-buckets.ts): rank r owns the r-th piece of every bucket. After
 * backward each bucket's gradients are reduce-scattered (grad-buckets.ts), so rank r holds the mean
 * gradient of its pieces; ZeroOptimizer updates only those pieces with the wrapped optimizer's own
 * rule (element-wise, so the result is the unsharded optimizer's), keeping moments for its pieces
 * only (8Ψ/N for Adam). Then:
 * - stage 1 and 2: the parameters are whole on every rank, views into one flat buffer per bucket;
 *   each rank's updated piece is all-gathered into everyone's buffer. Stage 1 keeps the full local
 *   gradients in .grad (4Ψ), stage 2 drops each as soon as its bucket has copied it (4Ψ/N remain);
 * - stage 3: each rank keeps only its pieces of the parameters (zero3.ts gathers a layer before
 *   use); nothing is gathered after the step.
 *
 * Beside tensor or pipeline parallelism (stages 1 and 2; compose.ts) the model is a tp rank's
 * slices or a stage's blocks and the ranks are its dp group: gradSquares gives the grad norm's
 * sums by group for their rules, and PieceNaming names the pieces as parts of the global tensors.
 */
import type { Tensor } from '../engine/tensor.js';
import { getBackend } from '../engine/device.js';
import { residentFloats } from '../engine/resident.js';
import type { StateDict } from '../io/checkpoint.js';
import { Optimizer } from '../optim/optimizer.js';
import { GradpathError } from '../util/errors.js';
import type { Communicator } from './communicator.js';
import { pieceSegments, pieceShardSpecs, type FlatBucket, type FlatEntry, type PieceSegment } from './flat-buckets.js';
import type { GradBuckets } from './grad-buckets.js';
import type { ShardSpec } from './shard-spec.js';
import type { ShardPiece } from './checkpoint-pieces.js';
import { stepTimeline } from './timeline.js';

export type ZeroStage = 0 | 1 | 2 | 3;

type ElementwiseRule = (param: Float32Array, grad: Float32Array, state: Record<string, Float32Array>, lr: number, weightDecay: number) => void;

/**
 * How a rank's pieces are named in a sharded checkpoint when the model it shards is itself part
 * of a bigger one: `place(p)`, the global tensor a local parameter is a slice of (tensor parallel;
 * undefined: whole); `copies`, local names that are another rank's tensor under another name (a
 * last stage's tied head: 'lm_head.weight' -> 'wte.weight'; never saved, loaded from that name);
 * `writes(cut)`, whether this rank saves its pieces of a cut or a whole tensor (a whole one is
 * saved by tp rank 0's dp group only).
 */
export interface PieceNaming {
  place?: (p: Tensor) => Omit<ShardSpec, 'name'> | undefined;
  copies?: Record<string, string>;
  writes?: (cut: boolean) => boolean;
}

/** The global tensor (or tensor-parallel slice of it) a bucket entry is, under its global name. */
function wholeSpec(e: FlatEntry, naming: PieceNaming): ShardSpec {
  return { name: naming.copies?.[e.name] ?? e.name, ...(naming.place?.(e.param) ?? { shape: [...e.param.shape] }) };
}

export function checkZeroStage(z: number): ZeroStage {
  if (z !== 0 && z !== 1 && z !== 2 && z !== 3) throw new GradpathError(`--zero must be 0, 1, 2 or 3; got ${z}`);
  return z;
}

/** Where this rank's piece of each bucket's parameters lives, and what follows an update. */
export interface ParamPieces {
  piece(bucket: number): Float32Array;
  /** After the pieces were updated (stage 1/2: all-gather them; stage 3: forget gathered layers). */
  afterStep(): Promise<void>;
  /** Bytes of parameter storage held between steps, and of working buffers (stage 3's gathered layers). */
  bytes(): { params: number; buffers: number };
  /** Floats this rank sent for parameters in the last step. */
  sentFloats: number;
}

/** Stages 1 and 2: whole parameters, each a view into its bucket's flat buffer; pieces all-gathered after the step. */
export class ReplicatedParams implements ParamPieces {
  readonly flats: Float32Array[];
  sentFloats = 0;
  constructor(private readonly comm: Communicator, private readonly buckets: FlatBucket[]) {
    this.flats = buckets.map((b) => {
      const flat = residentFloats(b.padded);
      for (const e of b.entries) {
        flat.set(e.param.data as Float32Array, e.start);
        e.param.data = flat.subarray(e.start, e.start + e.numel); // the parameter now lives in the bucket
      }
      return flat;
    });
  }

  piece(b: number): Float32Array {
    const { piece } = this.buckets[b];
    return this.flats[b].subarray(this.comm.rank * piece, (this.comm.rank + 1) * piece);
  }

  async afterStep(): Promise<void> {
    const n = this.comm.size;
    // in place: this rank's piece is its own block of the output
    const done = this.flats.map((flat, b) => this.comm.allGather(this.piece(b), flat));
    this.sentFloats = this.flats.reduce((s, f) => s + ((n - 1) * f.length) / n, 0);
    const tl = stepTimeline();
    for (let b = 0; b < done.length; b++) await tl.wait('comm', `param all-gather ${b}`, done[b]);
  }

  bytes(): { params: number; buffers: number } {
    return { params: this.flats.reduce((s, f) => s + f.byteLength, 0), buffers: 0 };
  }
}

/**
 * The wrapped optimizer (AdamW, Adam, SGD: any element-wise rule) applied to this rank's pieces
 * only. Groups keep their learning rate and weight decay (optim/groups.ts): a piece that spans
 * parameters of two groups is updated segment by segment.
 */
export class ZeroOptimizer extends Optimizer {
  private readonly segments: PieceSegment[][];
  private readonly groupOf = new Map<Tensor, number>();
  /** Per bucket, the wrapped optimizer's buffers (exp_avg, exp_avg_sq ...) for this rank's piece. */
  private readonly moments: Record<string, Float32Array>[];
  readonly params: ParamPieces;

  constructor(
    private readonly inner: Optimizer,
    private readonly comm: Communicator,
    readonly stage: 1 | 2 | 3,
    private readonly buckets: FlatBucket[],
    private readonly grads: GradBuckets,
    /** Called once the base class has placed the parameters (it moves them into the kernels' memory; these views must come after). */
    makeParams: () => ParamPieces,
  ) {
    super(inner.groups.map((g) => ({ params: g.params, lr: g.lr, weightDecay: g.weightDecay })), { lr: inner.lr, weightDecay: 0 });
    this.params = makeParams();
    this.stepCount = inner.stepCount;
    this.groups.forEach((g, i) => g.params.forEach((p) => this.groupOf.set(p, i)));
    for (const b of buckets) for (const e of b.entries) if (!this.groupOf.has(e.param)) throw new GradpathError(`ZeRO: parameter ${e.name} is in no optimizer group`);
    this.segments = buckets.map((b) => pieceSegments(b, comm.rank));
    this.moments = buckets.map((b) => Object.fromEntries(this.bufferNames().map((n) => [n, residentFloats(b.piece)])));
  }

  protected bufferNames(): string[] {
    return (this.inner as unknown as { bufferNames(): string[] }).bufferNames();
  }

  protected update(param: Float32Array, grad: Float32Array, state: Record<string, Float32Array>, lr: number, weightDecay: number): void {
    // the wrapped optimizer's own rule (and its step count, for Adam's bias correction)
    this.inner.stepCount = this.stepCount;
    (this.inner as unknown as { update: ElementwiseRule }).update(param, grad, state, lr, weightDecay);
  }

  override async step(): Promise<void> {
    this.stepCount++;
    this.buckets.forEach((b, i) => {
      const lo = this.comm.rank * b.piece;
      const param = this.params.piece(i), grad = this.grads.pieces[i], m = this.moments[i];
      for (const { entry, from, to } of this.segments[i]) {
        const g = this.groups[this.groupOf.get(entry.param)!];
        const cut = (a: Float32Array) => a.subarray(from - lo, to - lo);
        this.update(cut(param), cut(grad), Object.fromEntries(Object.entries(m).map(([k, v]) => [k, cut(v)])), g.lr, g.weightDecay);
      }
    });
    await this.params.afterStep();
  }

  /** The global gradient norm: each rank's pieces' sum of squares, summed over the ranks. */
  gradNorm(): number {
    return Math.sqrt(this.gradSquares([this.buckets.flatMap((b) => b.entries.map((e) => e.param))])[0]);
  }

  /**
   * Per group of parameters, the sum of the squares of their mean gradients over the dp group:
   * this rank's pieces' part of each, summed over the ranks in one all-reduce (grad-squares.ts:
   * tensor or pipeline parallelism then combine the groups). A parameter in no group is left out.
   */
  gradSquares(groups: Tensor[][]): number[] {
    const backend = getBackend();
    const groupOf = new Map<Tensor, number>();
    groups.forEach((g, k) => g.forEach((p) => groupOf.set(p, k)));
    const sums = new Array<number>(groups.length).fill(0);
    this.buckets.forEach((b, i) => {
      const lo = this.comm.rank * b.piece, piece = this.grads.pieces[i];
      for (const { entry, from, to } of this.segments[i]) {
        const k = groupOf.get(entry.param);
        if (k !== undefined) sums[k] += backend.sumSquares(piece.subarray(from - lo, to - lo));
      }
    });
    const total = Float32Array.from(sums);
    this.comm.allReduce(total, 'sum');
    stepTimeline().waitSync('comm', 'grad norm', () => this.comm.waitAll());
    return [...total];
  }

  /** This rank's pieces of the mean gradients of the buckets that hold these parameters and nothing else (flat-buckets.ts `apart`). */
  piecesOf(params: Tensor[]): Float32Array[] {
    const want = new Set(params);
    const mine = this.buckets.filter((b) => b.entries.some((e) => want.has(e.param)));
    if (mine.some((b) => !b.entries.every((e) => want.has(e.param))) || mine.reduce((n, b) => n + b.entries.length, 0) !== want.size) throw new Error('ZeRO: the parameters are not in buckets of their own');
    return mine.map((b) => this.grads.pieces[b.index]);
  }

  /** Clipping: scales this rank's gradient pieces (the only gradients the update reads). */
  scaleGrads(factor: number): void {
    for (const piece of this.grads.pieces) for (let i = 0; i < piece.length; i++) piece[i] *= factor;
  }

  /** Bytes of optimizer state this rank holds. */
  stateBytes(): number {
    return this.moments.reduce((s, m) => s + Object.values(m).reduce((t, a) => t + a.byteLength, 0), 0);
  }

  /** What this rank holds of the optimizer moments, as global tensors' flat ranges (for sharded checkpoints). */
  shardSpecs(): ShardSpec[] {
    return this.bufferNames().flatMap((n) => pieceShardSpecs(this.buckets, this.comm.rank, `${n}.`));
  }

  /** The wrapped optimizer's buffer names (exp_avg, exp_avg_sq). */
  get momentNames(): string[] {
    return this.bufferNames();
  }

  /**
   * This rank's pieces of the parameters and of the moments, as flat ranges of the global tensors
   * (live views, for sharded checkpoints). Stages 1 and 2 hold every parameter whole but save
   * only their piece: the ranks' pieces together are each tensor once. With tensor parallel too
   * (`naming.place`), a local parameter is a slice of its global tensor and a piece is a flat
   * range of that slice; `naming.writes` leaves out what another tp rank saves, `copies` what
   * another stage saves (PieceNaming).
   */
  pieces(naming: PieceNaming = {}): ShardPiece[] {
    const out: ShardPiece[] = [];
    this.eachSegment(naming, (spec, i, cut, entry) => {
      if (naming.copies?.[entry.name] !== undefined || !(naming.writes?.(Boolean(spec.slice)) ?? true)) return;
      out.push({ spec, data: cut(this.params.piece(i)) });
      for (const [m, buf] of Object.entries(this.moments[i])) out.push({ spec: { ...spec, name: `${m}.${spec.name}` }, data: cut(buf) });
    });
    return out;
  }

  /**
   * Fills this rank's state from a sharded checkpoint (`read` as ShardedState.load's): its pieces
   * of the moments (zero when the checkpoint has none: saved before the first step) and of the
   * parameters; stages 1 and 2 read every (local) parameter whole, so no gather is needed.
   */
  loadPieces(read: (spec: ShardSpec) => Float32Array | null, optimizerStep: number, naming: PieceNaming = {}): void {
    const need = (spec: ShardSpec) => {
      const data = read(spec);
      if (!data) throw new GradpathError(`sharded checkpoint has no tensor '${spec.name}'; it holds another model`);
      return data;
    };
    this.stepCount = optimizerStep;
    this.eachSegment(naming, (spec, i, cut) => {
      if (this.stage === 3) cut(this.params.piece(i)).set(need(spec));
      for (const [m, buf] of Object.entries(this.moments[i])) {
        const data = read({ ...spec, name: `${m}.${spec.name}` });
        if (data) cut(buf).set(data);
        else cut(buf).fill(0);
      }
    });
    if (this.stage !== 3) for (const b of this.buckets) for (const e of b.entries) (e.param.data as Float32Array).set(need(wholeSpec(e, naming)));
  }

  /** Each parameter segment of this rank's pieces: its ShardSpec, bucket, and how to cut it out of a piece-sized array. */
  private eachSegment(naming: PieceNaming, fn: (spec: ShardSpec, bucket: number, cut: (a: Float32Array) => Float32Array, entry: FlatEntry) => void): void {
    this.buckets.forEach((b, i) => {
      const lo = this.comm.rank * b.piece;
      for (const { entry, from, to } of this.segments[i]) {
        fn({ ...wholeSpec(entry, naming), flat: { start: from - entry.start, length: to - from } }, i, (a) => a.subarray(from - lo, to - lo), entry);
      }
    });
  }

  /** This rank's pieces: `<buffer>.bucket<i>` (a sharded checkpoint's content; the layout is in shardSpecs). */
  override stateDict(): StateDict {
    const out: StateDict = { step: { shape: [], data: Float32Array.of(this.stepCount) } };
    this.moments.forEach((m, i) => {
      for (const [name, buf] of Object.entries(m)) out[`${name}.bucket${i}`] = { shape: [buf.length], data: buf };
    });
    return out;
  }

  override loadStateDict(sd: StateDict): void {
    this.stepCount = sd.step ? sd.step.data[0] : 0;
    this.moments.forEach((m, i) => {
      for (const [name, buf] of Object.entries(m)) {
        const src = sd[`${name}.bucket${i}`];
        if (!src) continue;
        if (src.data.length !== buf.length) throw new GradpathError(`ZeRO state '${name}.bucket${i}' has ${src.data.length} values; this layout's piece has ${buf.length} (another number of ranks or bucket size)`);
        buf.set(src.data as Float32Array);
      }
    });
  }
}
