/**
 * The wasm matmul: same signature as Backend.matmul. Operands live in ordinary Float32Arrays;
 * each call copies A and B into a shared WebAssembly.Memory scratch area (grown as needed,
 * reused across calls), runs the SIMD kernel there (split across the worker pool when the
 * problem is big enough), and copies C out. Tiny problems skip wasm for a plain JS loop.
 */
import { GradpathError } from '../../util/errors.js';
import type { WasmMemory } from './wasm-api.js';
import type { ElementwiseKernels } from './elementwise.js';
import { ERROR, GEN, NEXT, PENDING, J_BLK, J_NBLK, J_ROWS, J_UNITS, J_A, J_ABS, J_ACS, J_ARS, J_B, J_BBS, J_BCS, J_BRS, J_C,
  J_CBS, J_K, J_LDC, J_M, J_N, runSlice, runUnits, setSlice, waitChange, type Sgemm } from './shared.js';

/** Everything initWasm sets up; installed here so `matmul` can stay synchronous. */
export interface WasmState {
  sgemm: Sgemm;
  memory: WasmMemory;
  ctrl: Int32Array;
  workers: { terminate(): Promise<number> }[];
  threads: number;
  relaxedSimd: boolean;
  tileM: number;
  tileN: number;
  /** Bytes of packing scratch per thread: packed A (+ edge tile), then packed B. */
  packABytes: number;
  packBBytes: number;
  /** The Adam kernel (kernels/adam.ts), instantiated over the same memory on the main thread. */
  adam: AdamKernel;
  /** GELU and cross-entropy kernels (kernels/elementwise.ts), likewise. */
  elementwise: ElementwiseKernels;
}

export type AdamKernel = (p: number, g: number, m: number, v: number, n: number, b1: number, b2: number, ob1: number, ob2: number,
  stepSize: number, invSqrtC2: number, eps: number, decay: number, l2: number) => void;

let state: WasmState | null = null;
let f32: Float32Array<ArrayBufferLike> = new Float32Array(0);

export function installWasm(s: WasmState | null): void {
  state = s;
  f32 = s ? new Float32Array(s.memory.buffer) : new Float32Array(0);
}
export function wasmState(): WasmState | null {
  return state;
}

/**
 * Below this many multiply-adds (m*n*k*batch) the JS loop beats copying into wasm. Measured
 * (best of many, square shapes): 4^3 JS 0.2 us vs wasm 1.2 us; 8^3 JS 0.9 vs wasm 0.5;
 * 16^3 JS 6.7 vs 0.9; 64^3 JS 400 vs wasm 16.
 */
export let minWasmWork = 512;
/**
 * Below this many multiply-adds the job runs on the calling thread alone. Waking a sleeping
 * worker costs ~50 us (a spinning one < 1 us); 128^3 takes ~90 us on one thread, so halving
 * it pays even when the worker has gone to sleep; 64^3 (~16 us) does not.
 */
export let minThreadWork = 128 * 128 * 128;
/** Lets benchmarks and tests move the cut-offs (e.g. force the threaded path on tiny shapes). */
export function setCutoffs(wasm: number, thread: number): void {
  minWasmWork = wasm;
  minThreadWork = thread;
}

const MAX_BYTES = 16384 * 65536; // the kernel's declared maximum memory (1 GiB)
const BASE = 65536; // the first page is left to the module itself (it has no data, but be safe)
const align = (x: number) => (x + 63) & ~63;

export function matmul(
  a: Float32Array, b: Float32Array, out: Float32Array,
  batch: number, m: number, k: number, n: number,
  transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number,
): void {
  if (batch <= 0 || m <= 0 || n <= 0) return;
  if (k <= 0) {
    out.fill(0, 0, batch * m * n);
    return;
  }
  const work = batch * m * n * k;
  const s = state;
  if (s === null) throw new GradpathError('wasm matmul: call `await initWasm()` before using the wasm backend');
  if (work < minWasmWork) {
    matmulJs(a, b, out, batch, m, k, n, transA, transB, aBatchStride, bBatchStride);
    return;
  }
  const threads = work >= minThreadWork ? s.threads : 1;
  const perThread = align(s.packABytes) + align(s.packBBytes);
  const fixed = BASE + s.threads * perThread;
  const span = (bc: number, stride: number, size: number) => (bc - 1) * stride + size;
  const chunkBytes = (bc: number) =>
    align(4 * span(bc, aBatchStride, m * k)) + align(4 * span(bc, bBatchStride, k * n)) + align(4 * bc * m * n);
  // Batches that do not fit in the memory at once are done in chunks.
  let bc = batch;
  while (bc > 1 && fixed + chunkBytes(bc) > MAX_BYTES) bc = Math.ceil(bc / 2);
  if (fixed + chunkBytes(bc) > MAX_BYTES) {
    throw new GradpathError(`wasm matmul: one ${m}x${k} @ ${k}x${n} product needs more than the 1 GiB kernel memory`);
  }
  ensureBytes(s, fixed + chunkBytes(Math.min(bc, batch)));

  const p = s.ctrl;
  const aPtr = fixed, bPtr = aPtr + align(4 * span(bc, aBatchStride, m * k)), cPtr = bPtr + align(4 * span(bc, bBatchStride, k * n));
  p[J_M] = m; p[J_N] = n; p[J_K] = k;
  p[J_A] = aPtr; p[J_ARS] = transA ? 1 : k; p[J_ACS] = transA ? m : 1; p[J_ABS] = aBatchStride;
  p[J_B] = bPtr; p[J_BRS] = transB ? 1 : n; p[J_BCS] = transB ? k : 1; p[J_BBS] = bBatchStride;
  p[J_C] = cPtr; p[J_CBS] = m * n; p[J_LDC] = n;
  for (let b0 = 0; b0 < batch; b0 += bc) {
    const cnt = Math.min(bc, batch - b0);
    const aOff = b0 * aBatchStride, bOff = b0 * bBatchStride;
    f32.set(a.subarray(aOff, aOff + span(cnt, aBatchStride, m * k)), aPtr >> 2);
    f32.set(b.subarray(bOff, bOff + span(cnt, bBatchStride, k * n)), bPtr >> 2);
    runJob(s, threads, cnt, m, n, perThread);
    out.set(f32.subarray(cPtr >> 2, (cPtr >> 2) + cnt * m * n), b0 * m * n);
  }
}

/**
 * Scratch space for other kernels (nothing runs concurrently with a matmul): grows the memory
 * to hold `bytes` past the packing buffers; returns the scratch's byte offset and a view of
 * the whole memory (valid until the next call).
 */
export function scratch(bytes: number): { state: WasmState; base: number; f32: Float32Array<ArrayBufferLike> } {
  const s = state;
  if (s === null) throw new GradpathError('wasm backend: call `await initWasm()` first');
  const base = BASE + s.threads * (align(s.packABytes) + align(s.packBBytes));
  ensureBytes(s, base + bytes);
  return { state: s, base, f32 };
}

function ensureBytes(s: WasmState, bytes: number): void {
  const have = s.memory.buffer.byteLength;
  if (have < bytes) s.memory.grow(Math.ceil((bytes - have) / 65536));
  if (f32.buffer.byteLength !== s.memory.buffer.byteLength) f32 = new Float32Array(s.memory.buffer);
}

/**
 * Whole matrices are handed out when there are this many per thread (or the batch divides
 * evenly). Otherwise each matrix is cut into blocks along the longer side of C, up to this many
 * per thread: more blocks balance better when a thread runs late, but every block re-packs the
 * operand the blocks share (all of A for a column block, scalar packing: ~25 / columns of the
 * block's compute; all of B for a row block, vector packing: about a quarter of that). So a
 * block gets at least MIN_COLS columns or MIN_ROWS rows, and the count is a multiple of threads.
 */
const BLOCKS_PER_THREAD = 4;
const MIN_COLS = 1024, MIN_ROWS = 256;

/** Cuts the job into units, wakes the workers, claims units here too, and waits for the workers. */
function runJob(s: WasmState, threads: number, batch: number, m: number, n: number, perThread: number): void {
  const p = s.ctrl;
  const packs = (t: number) => [BASE + t * perThread, BASE + t * perThread + align(s.packABytes)] as const;
  if (threads === 1) {
    setSlice(p, 0, 0, batch, 0, m, 0, n, ...packs(0));
    runSlice(s.sgemm, p, 0);
    return;
  }
  // Work units claimed dynamically: whole matrices, or blocks of the longer side of C on tile boundaries.
  const byBatch = batch >= BLOCKS_PER_THREAD * threads || batch % threads === 0;
  const rows = m >= n;
  const side = rows ? m : n, tile = rows ? s.tileM : s.tileN;
  const want = threads * Math.max(1, Math.min(BLOCKS_PER_THREAD, Math.floor(side / (rows ? MIN_ROWS : MIN_COLS) / threads)));
  const blk = byBatch ? side : Math.ceil(Math.ceil(side / tile) / want) * tile;
  const nblk = Math.ceil(side / blk);
  for (let t = 0; t < s.threads; t++) setSlice(p, t, 0, 0, 0, 0, 0, 0, ...packs(t));
  p[J_BLK] = blk; p[J_NBLK] = nblk; p[J_ROWS] = rows ? 1 : 0; p[J_UNITS] = batch * nblk;
  Atomics.store(p, NEXT, 0);
  Atomics.store(p, ERROR, 0);
  Atomics.store(p, PENDING, s.workers.length);
  Atomics.add(p, GEN, 1);
  Atomics.notify(p, GEN);
  try {
    runUnits(s.sgemm, p, 0);
  } finally {
    for (let v = Atomics.load(p, PENDING); v !== 0; v = Atomics.load(p, PENDING)) waitChange(p, PENDING, v);
  }
  if (Atomics.load(p, ERROR)) throw new GradpathError('wasm matmul: a worker thread failed');
}

/** The small-problem path: straightforward loops (i-p-j, or dot products when B is transposed). */
export function matmulJs(
  a: Float32Array, b: Float32Array, out: Float32Array,
  batch: number, m: number, k: number, n: number,
  transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number,
): void {
  const aRow = transA ? 1 : k, aCol = transA ? m : 1;
  for (let bi = 0; bi < batch; bi++) {
    const aOff = bi * aBatchStride, bOff = bi * bBatchStride, cOff = bi * m * n;
    for (let i = 0; i < m; i++) {
      const ai = aOff + i * aRow, c0 = cOff + i * n;
      if (transB) {
        for (let j = 0; j < n; j++) {
          const bj = bOff + j * k;
          let sum = 0;
          for (let p = 0; p < k; p++) sum += a[ai + p * aCol] * b[bj + p];
          out[c0 + j] = sum;
        }
      } else {
        for (let j = 0; j < n; j++) out[c0 + j] = 0;
        for (let p = 0; p < k; p++) {
          const av = a[ai + p * aCol], b0 = bOff + p * n;
          for (let j = 0; j < n; j++) out[c0 + j] += av * b[b0 + j];
        }
      }
    }
  }
}
