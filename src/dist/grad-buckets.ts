/**
 * Gradient buckets communicated while backward is still running. Every parameter gets a
 * post-accumulate-grad hook (engine: Tensor.registerPostAccumulateGradHook); when backward has
 * finished a parameter's gradient the hook copies it into its bucket's flat buffer, and when a
 * bucket has all of its gradients its collective is queued at once on the communication thread,
 * so it runs while the JavaScript thread goes on with the rest of backward:
 *
 * - 'all-reduce' (DDP): every rank gets the mean gradient of the bucket, copied back into .grad
 *   by finish();
 * - 'reduce-scatter' (ZeRO-1/2/3): rank r gets only the mean of its piece of the bucket, in
 *   `pieces[b]`; the bucket's flat buffer lives only until then. With `freeGrads` (ZeRO-2/3) a
 *   parameter's .grad is dropped as soon as it is copied: the full gradients never all exist at once.
 *
 * With gradient accumulation (beginMicroStep), DDP and ZeRO-1 communicate on the last micro-step
 * only: gradients add up in .grad until then (PyTorch's no_sync). ZeRO-2/3 instead reduce-scatter
 * every micro-step and add the result into this rank's pieces, freeing each full gradient as its
 * bucket copies it, as DeepSpeed does: the full gradients (4Ψ) never wait for the next micro-step,
 * only the pieces (4Ψ/N) do. The sum needs no second buffer: before the collective, this rank adds
 * N times its running piece into its own block of the bucket, so the mean over the ranks comes
 * out as the running piece plus this micro-step's mean (for a bucket already sent this step).
 *
 * A pipeline stage runs backward once per micro-batch of its schedule: `sync` is then false until
 * the schedule's last backward (ddp.ts wrapPipeline), so its earlier backwards only accumulate and
 * the buckets go during the last one, as its parameters' gradients become final.
 *
 * The flat buffers of reduce-scattered buckets live only while in flight; they go back to a pool
 * and the next bucket of the same size reuses one, so after the first step nothing new is
 * allocated (allocatedFloats stays put).
 */
import { Tensor } from '../engine/tensor.js';
import { GradpathError } from '../util/errors.js';
import type { Communicator } from './communicator.js';
import type { FlatBucket } from './flat-buckets.js';
import { stepTimeline } from './timeline.js';

export type BucketCollective = 'all-reduce' | 'reduce-scatter';

interface BucketState {
  /** The parameters whose gradients are in the flat buffer. */
  copied: Set<Tensor>;
  flat: Float32Array | null;
  done: Promise<void> | null;
}

export class GradBuckets {
  /** false: this backward communicates nothing (DDP and ZeRO-1 before the step's last micro-batch; set by beginMicroStep). */
  sync = true;
  /** Per bucket, whether it was sent already this step (ZeRO-2/3: its next reduce-scatter adds into the piece). */
  private sentThisStep: boolean[];
  /** The most bytes of full gradients (.grad) held between micro-steps or at the step's end, this step. */
  peakHeldGradBytes = 0;
  /** Floats of flat bucket buffers allocated so far (they are pooled and reused). */
  allocatedFloats = 0;
  private readonly pool = new Map<number, Float32Array[]>();
  /** For 'reduce-scatter': this rank's piece of each bucket's mean gradient. */
  readonly pieces: Float32Array[];
  /** Floats sent by this rank in the last step (ring algorithms' volume: see commVolume in zero-memory.ts). */
  sentFloats = 0;
  /** The most floats held at once in flat gradient buffers during the last step. */
  peakFlatFloats = 0;
  private readonly states: BucketState[];
  private readonly owner = new Map<Tensor, number>();
  private readonly persistent: Float32Array[] | null;
  private heldFlat = 0;

  constructor(
    private readonly comm: Communicator,
    readonly buckets: FlatBucket[],
    readonly collective: BucketCollective,
    private readonly freeGrads = false,
  ) {
    if (freeGrads && collective !== 'reduce-scatter') throw new GradpathError('GradBuckets: gradients can be freed only when reduce-scattered');
    // DDP's buffers are reused every step (fresh memory is slow); ZeRO's exist only while in flight
    this.persistent = collective === 'all-reduce' ? buckets.map((b) => new Float32Array(b.numel)) : null;
    this.pieces = collective === 'reduce-scatter' ? buckets.map((b) => new Float32Array(b.piece)) : [];
    this.states = buckets.map(() => ({ copied: new Set(), flat: null, done: null }));
    this.sentThisStep = buckets.map(() => false);
    buckets.forEach((b, i) => {
      for (const e of b.entries) {
        if (this.owner.has(e.param)) throw new GradpathError(`GradBuckets: parameter ${e.name} is in two buckets`);
        this.owner.set(e.param, i);
        e.param.registerPostAccumulateGradHook((leaf) => this.onGradReady(leaf));
      }
    });
  }

  /** Bytes of gradient storage this object keeps between steps (DDP's buffers, ZeRO's pieces). */
  persistentBytes(): number {
    const sum = (a: Float32Array[]) => a.reduce((n, x) => n + x.byteLength, 0);
    return sum(this.persistent ?? []) + sum(this.pieces);
  }

  private onGradReady(leaf: Tensor): void {
    if (!this.sync) return;
    const i = this.owner.get(leaf)!;
    const s = this.states[i];
    if (s.done) throw new GradpathError('a parameter received a gradient after its bucket was sent: call finish() once per step, after the last backward');
    const b = this.buckets[i];
    this.copy(i, b.entries.find((x) => x.param === leaf)!);
    if (s.copied.size === b.entries.length) this.launch(i);
  }

  /** Puts a parameter's gradient (zeros when it has none) into bucket i's flat buffer. */
  private copy(i: number, e: FlatBucket['entries'][number]): void {
    const flat = this.flatFor(i);
    const g = e.param.grad?.data as Float32Array | undefined;
    if (g) flat.set(g, e.start);
    else flat.fill(0, e.start, e.start + e.numel);
    if (this.freeGrads) e.param.zeroGrad(); // ZeRO-2/3: only this rank's piece of the mean stays
    this.states[i].copied.add(e.param);
  }

  private flatFor(i: number): Float32Array {
    const s = this.states[i];
    if (!s.flat) {
      s.flat = this.persistent ? this.persistent[i] : this.takeFlat(this.buckets[i].padded);
      if (!this.persistent) {
        this.heldFlat += s.flat.length;
        this.peakFlatFloats = Math.max(this.peakFlatFloats, this.heldFlat);
      }
    }
    return s.flat;
  }

  private launch(i: number): void {
    const s = this.states[i], b = this.buckets[i], n = this.comm.size;
    const flat = this.flatFor(i);
    if (this.collective === 'all-reduce') {
      s.done = this.comm.allReduce(flat, 'avg');
      this.sentFloats += (2 * (n - 1) * flat.length) / n;
    } else {
      if (this.sentThisStep[i]) {
        // (N acc + sum of the ranks' gradients) / N = acc + their mean, in this rank's block
        const own = flat.subarray(this.comm.rank * b.piece, (this.comm.rank + 1) * b.piece), acc = this.pieces[i];
        for (let k = 0; k < own.length; k++) own[k] += n * acc[k];
      }
      s.done = this.comm.reduceScatter(flat, this.pieces[i], 'avg');
      this.sentFloats += ((n - 1) * flat.length) / n;
    }
    this.sentThisStep[i] = true;
  }

  /**
   * After the step's last backward: sends the buckets some parameter never completed (a
   * parameter no gradient reached counts as zeros, on every rank alike), waits for every bucket
   * (the waits are the exposed communication, recorded on the step timeline) and, for
   * all-reduce, puts the mean gradients back into .grad.
   */
  async finish(): Promise<void> {
    const tl = stepTimeline();
    this.launchRest();
    for (let i = 0; i < this.states.length; i++) {
      await tl.wait('comm', `grad bucket ${i}`, this.states[i].done!);
      this.settle(i);
    }
    this.noteHeldGrads();
  }

  /**
   * Before micro-step `micro` of `accumSteps` (its forward): whether its backward communicates,
   * and, for ZeRO-2/3 after the first, the previous micro-step's buckets completed (synchronously:
   * sent, waited for, summed into the pieces) so that its full gradients are gone.
   */
  beginMicroStep(micro: number, accumSteps: number): void {
    if (micro > 0 && this.freeGrads) {
      this.launchRest();
      stepTimeline().waitSync('comm', 'grad buckets of the micro-step', () => this.comm.waitAll());
      this.states.forEach((_, i) => this.settle(i));
    }
    if (micro > 0) this.noteHeldGrads();
    else this.sentThisStep.fill(false);
    this.sync = this.freeGrads || micro === accumSteps - 1;
  }

  /** Starts a step's accounting (volume, peak buffer, held gradients). */
  resetCounters(): void {
    this.sentFloats = 0;
    this.peakFlatFloats = this.heldFlat;
    this.peakHeldGradBytes = 0;
  }

  /** Sends the buckets some parameter never completed (a parameter no gradient reached counts as zeros, on every rank alike). */
  private launchRest(): void {
    this.states.forEach((s, i) => {
      if (s.done || !this.sync) return;
      for (const e of this.buckets[i].entries) if (!s.copied.has(e.param)) this.copy(i, e);
      this.launch(i);
    });
  }

  /** Bucket i's collective is complete: for all-reduce, the mean back into .grad; for reduce-scatter, its buffer back to the pool. */
  private settle(i: number): void {
    const s = this.states[i];
    if (!s.done) return;
    if (this.collective === 'all-reduce') {
      for (const e of this.buckets[i].entries) {
        const p = e.param;
        const mean = s.flat!.subarray(e.start, e.start + e.numel);
        if (p.grad) (p.grad.data as Float32Array).set(mean);
        else p.accumulateGrad(new Tensor(mean.slice(), [...p.shape]));
      }
    } else {
      this.heldFlat -= s.flat!.length;
      this.giveFlat(s.flat!);
    }
    this.states[i] = { copied: new Set(), flat: null, done: null };
  }

  /** Records the bytes of full gradients held now (for the step's peak: a pipeline stage's before its last backward). */
  noteHeldGrads(): void {
    let held = 0;
    for (const p of this.owner.keys()) held += p.grad ? p.grad.data.byteLength : 0;
    this.peakHeldGradBytes = Math.max(this.peakHeldGradBytes, held);
  }

  private takeFlat(n: number): Float32Array {
    const free = this.pool.get(n)?.pop();
    if (free) return free;
    this.allocatedFloats += n;
    return new Float32Array(n);
  }

  private giveFlat(flat: Float32Array): void {
    const list = this.pool.get(flat.length) ?? [];
    list.push(flat);
    this.pool.set(flat.length, list);
  }
}

