/**
 * Recycled float storage for training steps. On the VMs this project runs on, the first write
 * to a fresh Float32Array costs milliseconds per megabyte (page faults), about 80x a rewrite of
 * warm memory, and a GPT-2 step allocates gigabytes. A BufferPool hands out buffers that a
 * previous step (or an earlier part of this one) gave back, so a step touches warm memory.
 *
 * Opt-in and explicit: only while `pool.run(fn)` is active do ops take their storage from the
 * pool (`floats`), and only then do backward (dead intermediate gradients) and zeroGrad (old
 * parameter gradients) give storage back. `pool.reset()` then recycles everything handed out
 * during the runs since the last reset, except storage kept with `keepBuffer` (gradients that
 * became a parameter's .grad). So after reset, tensors computed in the step are invalid:
 * read what you need (loss.item()) first. Without an active pool nothing changes.
 *
 * Where the backend has memory of its own (the wasm backend's shared memory), the pool's
 * buffers are taken from it, so matmul and the fused kernels read and write them in place.
 */

import { residentFloats } from './resident.js';
import { syncHost } from './device.js';

/** Smaller arrays come from V8 as usual (cheap, and not worth the bookkeeping). */
export const MIN_POOLED = 4096;

export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  private readonly freeSet = new Set<Float32Array>();
  private readonly inUse = new Set<Float32Array>();
  /** Every buffer this pool made: only these may ever come back. */
  private readonly mine = new WeakSet<Float32Array>();
  /** Bytes the pool has allocated from V8 (in use, kept, or free). */
  allocatedBytes = 0;

  /** Runs fn with this pool active (pools nest: the innermost wins). */
  run<T>(fn: () => T): T {
    const prev = active;
    active = this;
    try {
      return fn();
    } finally {
      active = prev;
    }
  }

  /** A buffer of n floats: zero-filled unless `zero` is false (then its contents are arbitrary). */
  take(n: number, zero = true): Float32Array {
    const list = this.free.get(n);
    let buf = list?.pop();
    if (buf) {
      this.freeSet.delete(buf);
      // whatever its holder wrote on a device is void: the new holder starts from the host array
      syncHost(buf, true);
      if (zero) buf.fill(0);
    } else {
      // in the backend's memory where it has one: kernels then use the buffer in place
      buf = residentFloats(n);
      this.mine.add(buf);
      this.allocatedBytes += 4 * n;
    }
    this.inUse.add(buf);
    return buf;
  }

  /** Gives a buffer back now (its holder promises not to use it again). Others' buffers are ignored. */
  give(buf: Float32Array): void {
    if (!this.mine.has(buf) || this.freeSet.has(buf)) return;
    this.inUse.delete(buf);
    this.freeSet.add(buf);
    let list = this.free.get(buf.length);
    if (!list) this.free.set(buf.length, (list = []));
    list.push(buf);
  }

  /** Exempts a buffer from reset(): it lives on (e.g. as a .grad) until someone gives it back. */
  keep(buf: Float32Array): void {
    this.inUse.delete(buf);
  }

  /** Recycles every buffer handed out since the last reset and not kept. */
  reset(): void {
    for (const buf of [...this.inUse]) this.give(buf);
    this.inUse.clear();
  }
}

let active: BufferPool | null = null;

/** n zero floats: from the active pool when there is one and n is large enough, else new. */
export function floats(n: number): Float32Array {
  return active !== null && n >= MIN_POOLED ? active.take(n) : new Float32Array(n);
}

/** Like floats(n), but a recycled buffer keeps old contents: only for callers that write every element. */
export function floatsUninit(n: number): Float32Array {
  return active !== null && n >= MIN_POOLED ? active.take(n, false) : new Float32Array(n);
}

/** Gives storage back to the active pool (a no-op without one, or for storage it did not make). */
export function recycle(buf: Float32Array | Int32Array): void {
  if (active !== null && buf instanceof Float32Array) active.give(buf);
}

/** Marks storage as long-lived (see BufferPool.keep); a no-op without an active pool. */
export function keepBuffer(buf: Float32Array | Int32Array): void {
  if (active !== null && buf instanceof Float32Array) active.keep(buf);
}
