/**
 * The wasm backend once startWasm has run: the kernels, the shared memory and its arena, the
 * worker pool and its control block. Installed here so the kernels' wrappers stay synchronous.
 * Also: scratch space for operands that do not already lie in the memory, and starting a job
 * on every thread.
 */
import { GradpathError } from '../../util/errors.js';
import type { WasmMemory } from './wasm-api.js';
import type { Arena } from './arena.js';
import type { PassKernels } from './passes.js';
import type { WindowKernelExports } from './window.js';
import { ERROR, GEN, J_KIND, NEXT, PENDING, READY, START_FAILED, waitChange, type AdamKernel, type ElementwiseKernels, type Sgemm } from './shared.js';

export interface WasmState {
  sgemm: Sgemm;
  memory: WasmMemory;
  /** Storage in the memory, above every thread's packing buffers. */
  arena: Arena;
  ctrl: Int32Array;
  /** The control block's float64 words (Adam's scalars). */
  ctrlF64: Float64Array;
  workers: { terminate(): Promise<number> }[];
  /** Settles when every worker has started (for callers that can await; jobs wait in runOnAllThreads). */
  ready: Promise<unknown>;
  threads: number;
  relaxedSimd: boolean;
  tileM: number;
  tileN: number;
  /** Bytes of packing scratch per thread: packed A (+ edge tile), then packed B. */
  packABytes: number;
  packBBytes: number;
  /** Byte address of thread t's packing buffers is BASE + t * perThread. */
  perThread: number;
  /** The Adam kernel (kernels/adam.ts), instantiated over the same memory (workers have their own). */
  adam: AdamKernel;
  /** GELU and cross-entropy kernels (kernels/elementwise.ts), instantiated over the same memory (workers have their own). */
  elementwise: ElementwiseKernels;
  /** Broadcast arithmetic, sums, strided copies and layer norm (kernels/passes.ts): main thread only. */
  passes: PassKernels;
  /** im2col, col2im, pooling and batch norm (kernels/window.ts): main thread only. */
  window: WindowKernelExports;
}

/** The first page is left to the module itself (it has no data, but be safe); packing buffers follow. */
export const BASE = 65536;
export const align = (x: number) => (x + 63) & ~63;

let state: WasmState | null = null;
let f32: Float32Array<ArrayBufferLike> = new Float32Array(0);
let scratchAt = -1, scratchBytes = 0;

export function installWasm(s: WasmState | null): void {
  state = s;
  f32 = s ? new Float32Array(s.arena.buffer()) : new Float32Array(0);
  scratchAt = -1;
  scratchBytes = 0;
}

export function wasmState(): WasmState | null {
  return state;
}

export function needState(): WasmState {
  if (state === null) throw new GradpathError('wasm backend: call startWasm() before using it');
  return state;
}

/** A view of the whole memory (index = byte address / 4), refreshed when the memory has grown. */
export function memoryFloats(): Float32Array<ArrayBufferLike> {
  const s = needState();
  if (f32.buffer.byteLength !== s.memory.buffer.byteLength) f32 = new Float32Array(s.arena.buffer());
  return f32;
}

/** The wasm address of x (-1 when x is an ordinary array, to be copied in). */
export function addressOf(x: Float32Array | Int32Array): number {
  return state === null ? -1 : state.arena.address(x);
}

/**
 * Byte address of `bytes` of scratch (valid until the next call; nothing runs concurrently),
 * or -1 when the memory cannot hold that much. Grows by half again at least, so a run of
 * growing requests does not leave a trail of blocks behind.
 */
export function tryScratch(bytes: number): number {
  const s = needState();
  if (bytes <= scratchBytes) return scratchAt;
  const grown = Math.max(bytes, Math.ceil(1.5 * scratchBytes));
  if (scratchAt >= 0) s.arena.release(scratchAt, scratchBytes);
  scratchAt = -1;
  scratchBytes = 0;
  for (const size of [grown, bytes]) {
    const at = s.arena.alloc(size);
    if (at >= 0) {
      scratchAt = at;
      scratchBytes = size;
      return at;
    }
  }
  return -1;
}

/** Like tryScratch, with the state and a view of the memory; throws when the memory is full. */
export function scratch(bytes: number): { state: WasmState; base: number; f32: Float32Array<ArrayBufferLike> } {
  const s = needState();
  const base = tryScratch(bytes);
  if (base < 0) throw new GradpathError(`wasm backend: no room for ${bytes} bytes of scratch in the kernel memory`);
  return { state: s, base, f32: memoryFloats() };
}

/** How long the first job waits for workers to start before giving up (a loaded machine can take seconds). */
const START_TIMEOUT_MS = 60_000;

/**
 * Blocks until every worker has started (the first threaded job after startWasm). Workers were
 * created synchronously and start on their own threads, so this needs no event loop.
 */
function waitForWorkers(s: WasmState): void {
  const p = s.ctrl, deadline = performance.now() + START_TIMEOUT_MS;
  for (let n = Atomics.load(p, READY); n < s.workers.length; n = Atomics.load(p, READY)) {
    const left = deadline - performance.now();
    if (Atomics.load(p, START_FAILED) || left <= 0) {
      throw new GradpathError(`wasm backend: ${s.workers.length - n} of ${s.workers.length} worker threads did not start; set GRADPATH_THREADS=1 to run without them`);
    }
    Atomics.wait(p, READY, n, Math.min(left, 1000));
  }
}

/**
 * Starts the job described in the control block on every worker, runs `own` (this thread's
 * share: claiming units like the workers) and waits for the workers to finish theirs.
 */
export function runOnAllThreads(s: WasmState, kind: number, own: () => void): void {
  const p = s.ctrl;
  if (Atomics.load(p, READY) < s.workers.length) waitForWorkers(s);
  p[J_KIND] = kind;
  Atomics.store(p, NEXT, 0);
  Atomics.store(p, ERROR, 0);
  Atomics.store(p, PENDING, s.workers.length);
  Atomics.add(p, GEN, 1);
  Atomics.notify(p, GEN);
  try {
    own();
  } finally {
    for (let v = Atomics.load(p, PENDING); v !== 0; v = Atomics.load(p, PENDING)) waitChange(p, PENDING, v);
  }
  if (Atomics.load(p, ERROR)) throw new GradpathError('wasm backend: a worker thread failed');
}
