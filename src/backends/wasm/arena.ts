/**
 * Storage inside the kernels' shared WebAssembly.Memory, so kernels can work on it in place
 * instead of copying operands in and results out. A Float32Array over the memory's buffer at
 * byteOffset X is the wasm address X; growing the memory gives `memory.buffer` a new
 * SharedArrayBuffer object, but views over the old one stay valid and alias the same bytes.
 *
 * Blocks are handed out from a bump pointer and recycled through free lists of exact (64-byte
 * rounded) sizes: BufferPool already recycles by exact size, so a pool's buffers and the
 * optimizer's moments settle into a fixed set of sizes. A float view's block comes back when
 * the view is garbage-collected (FinalizationRegistry); raw blocks (scratch) are freed explicitly.
 * When the memory cannot grow any more (wasm32 stops at 4 GiB), alloc answers -1 and callers
 * fall back to ordinary arrays and copies.
 */
import type { WasmMemory } from './wasm-api.js';

/** The memory's declared maximum: 65536 pages, all of wasm32's 4 GiB. */
export const MAX_PAGES = 65536;
const PAGE = 65536;
const MAX_BYTES = MAX_PAGES * PAGE;
/** Blocks start on cache lines (and on 16 bytes, which SIMD loads prefer). */
const ALIGN = 64;
const SLACK = 64;
const round = (bytes: number) => Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);

export class Arena {
  /** First byte never handed out; everything above it is still zero. */
  private top: number;
  private readonly free = new Map<number, number[]>();
  /** Every SharedArrayBuffer object this memory has had: a view over one of them is resident. */
  private readonly buffers = new WeakSet<object>();
  private readonly registry = new FinalizationRegistry<[number, number]>(([at, bytes]) => this.release(at, bytes));
  /** Bytes handed out and not yet given back (for tests and diagnostics). */
  usedBytes = 0;

  constructor(private readonly memory: WasmMemory, start: number) {
    this.top = round(start);
    this.buffer();
  }

  /** Byte address of a block of at least `bytes`, or -1 when the memory cannot hold it. */
  alloc(bytes: number): number {
    const size = round(bytes);
    const at = this.free.get(size)?.pop() ?? this.bump(size);
    if (at >= 0) this.usedBytes += size;
    return at;
  }

  /** Gives a block back (its holder promises not to use it again). */
  release(at: number, bytes: number): void {
    const size = round(bytes);
    this.usedBytes -= size;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(at);
  }

  /**
   * n zero floats in the memory, or null when it is full. The block is recycled once the
   * returned array is garbage-collected, so a subarray must not outlive it.
   */
  floats(n: number): Float32Array | null {
    const bytes = 4 * Math.max(n, 1);
    const fresh = this.top;
    const at = this.alloc(bytes);
    if (at < 0) return null;
    const f = new Float32Array(this.buffer(), at, n);
    if (at < fresh) f.fill(0); // a recycled block holds old values; bumped memory is still zero
    this.registry.register(f, [at, bytes]);
    return f;
  }

  /** The wasm address of x's first element, or -1 when x is not in this memory. */
  address(x: Float32Array | Int32Array): number {
    return this.buffers.has(x.buffer) ? x.byteOffset : -1;
  }

  /** The memory's current buffer, noted as one of ours. */
  buffer(): SharedArrayBuffer {
    const b = this.memory.buffer;
    this.buffers.add(b);
    return b;
  }

  private bump(size: number): number {
    const end = this.top + size;
    // SLACK past the last block: the sgemm packer may load a few floats past an operand's end
    if (end + SLACK > MAX_BYTES) return -1;
    const have = this.memory.buffer.byteLength;
    if (end + SLACK > have) {
      try {
        this.memory.grow(Math.ceil((end + SLACK - have) / PAGE));
      } catch {
        return -1; // the engine may refuse before the declared maximum (address space)
      }
    }
    const at = this.top;
    this.top = end;
    return at;
  }
}
