import type { Tensor } from './tensor.js';
import { keepBuffer, recycle } from './pool.js';
import { addInto } from './ops/view.js';

type Storage = Float32Array | Int32Array;

/**
 * The gradients a backward pass has computed but not yet propagated, and who owns their storage.
 *
 * A storage is counted by how many pending gradients hold it (views share storage). One held by
 * exactly one pending gradient is that gradient's alone: a second gradient for the same tensor
 * is added into it in place (no new buffer), a leaf adopts it as .grad without a copy, and once
 * no gradient holds it any more it goes back to the buffer pool (recycle: a no-op outside one).
 */
export class PendingGrads {
  private readonly grads = new Map<Tensor, Tensor>();
  private readonly holders = new Map<Storage, number>();
  /** Storage that may have just lost its last holder; recycled at the end of each node (sweep). */
  private readonly dead: Storage[] = [];

  /** Starts with the root's gradient; a caller's `grad` is never written to, adopted or recycled. */
  constructor(root: Tensor, rootGrad: Tensor, callerOwned: boolean) {
    this.grads.set(root, rootGrad);
    this.hold(rootGrad, callerOwned ? 2 : 1);
  }

  /** Removes and returns t's gradient (undefined when none reached it). The caller must release() it. */
  take(t: Tensor): Tensor | undefined {
    const g = this.grads.get(t);
    if (!g) return undefined;
    this.grads.delete(t); // intermediate gradients are not kept (as in PyTorch)
    this.hold(g, -1);
    return g;
  }

  /**
   * x's pending gradient when it may be added into in place (its storage is its own, contiguous
   * and not `g`, the gradient being propagated), else undefined.
   */
  writable(x: Tensor, g: Tensor): Tensor | undefined {
    const prev = this.grads.get(x);
    return prev !== undefined && prev.storage !== g.storage && this.holders.get(prev.storage) === 1 && wholeStorage(prev) ? prev : undefined;
  }

  /** Accumulates gx into x's pending gradient: the first is kept, later ones added (in place where possible). */
  add(x: Tensor, gx: Tensor, g: Tensor): void {
    const prev = this.grads.get(x);
    if (!prev) {
      this.grads.set(x, gx);
      this.hold(gx, 1);
    } else if (this.writable(x, g)) {
      addInto(prev, gx);
      this.dead.push(gx.storage);
    } else {
      const sum = prev.add(gx);
      this.hold(prev, -1);
      this.dead.push(prev.storage, gx.storage);
      this.grads.set(x, sum);
      this.hold(sum, 1);
    }
  }

  /** Adds a taken gradient into leaf t's .grad, handing over its storage when nothing else holds it. */
  intoLeaf(t: Tensor, g: Tensor): void {
    const adopt = this.holders.get(g.storage) === 0;
    t.accumulateGrad(g, adopt);
    if (adopt && t.grad!.storage === g.storage) {
      this.holders.set(g.storage, 1); // now .grad's: never recycled by this backward
      keepBuffer(g.storage);
    } else this.dead.push(g.storage);
    this.sweep();
  }

  /** Done with a taken gradient: its storage, and any dropped on the way, go back where unheld. */
  release(g: Tensor): void {
    this.dead.push(g.storage);
    this.sweep();
  }

  private hold(t: Tensor, delta: number): void {
    this.holders.set(t.storage, (this.holders.get(t.storage) ?? 0) + delta);
  }

  private sweep(): void {
    for (const d of this.dead) {
      if ((this.holders.get(d) ?? 0) === 0) {
        this.holders.delete(d);
        recycle(d);
      }
    }
    this.dead.length = 0;
  }
}

/** True when t is a contiguous float tensor covering its whole storage (safe to add into). */
function wholeStorage(t: Tensor): boolean {
  return t.dtype === 'float32' && t.offset === 0 && t.storage.length === t.numel() && t.isContiguous();
}
