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
 * With gradient accumulation, `sync` is false on every micro-step but the last: gradients add up
 * in .grad and nothing is communicated (PyTorch's no_sync).
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
  /** false: this backward is not the step's last micro-batch; nothing is communicated. */
  sync = true;
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
      s.flat = this.persistent ? this.persistent[i] : new Float32Array(this.buckets[i].padded);
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
      s.done = this.comm.reduceScatter(flat, this.pieces[i], 'avg');
      this.sentFloats += ((n - 1) * flat.length) / n;
    }
  }

  /**
   * After the step's last backward: sends the buckets some parameter never completed (a
   * parameter no gradient reached counts as zeros, on every rank alike), waits for every bucket
   * (the waits are the exposed communication, recorded on the step timeline) and, for
   * all-reduce, puts the mean gradients back into .grad.
   */
  async finish(): Promise<void> {
    const tl = stepTimeline();
    this.states.forEach((s, i) => {
      if (s.done) return;
      for (const e of this.buckets[i].entries) if (!s.copied.has(e.param)) this.copy(i, e);
      this.launch(i);
    });
    for (let i = 0; i < this.states.length; i++) {
      const s = this.states[i];
      await tl.wait('comm', `grad bucket ${i}`, s.done!);
      if (this.collective === 'all-reduce') {
        for (const e of this.buckets[i].entries) {
          const p = e.param;
          const mean = s.flat!.subarray(e.start, e.start + e.numel);
          if (p.grad) (p.grad.data as Float32Array).set(mean);
          else p.accumulateGrad(new Tensor(mean.slice(), [...p.shape]));
        }
      } else this.heldFlat -= s.flat!.length;
      this.states[i] = { copied: new Set(), flat: null, done: null };
    }
  }

  /** Starts a step's accounting (volume and peak buffer). */
  resetCounters(): void {
    this.sentFloats = 0;
    this.peakFlatFloats = this.heldFlat;
  }
}

