/**
 * The wasm matmul: same signature as Backend.matmul. Operands that already lie in the shared
 * WebAssembly.Memory (arena storage: a BufferPool's buffers, parameters and gradients in
 * training) are used where they are; others are copied into scratch space, and C is copied out
 * when `out` lies elsewhere. The SIMD kernel runs split across the worker pool when the problem
 * is big enough. Tiny problems skip wasm for the reference backend's loops.
 */
import { GradpathError } from '../../util/errors.js';
import { matmul as referenceMatmul } from '../reference/matmul.js';
import { J_BLK, J_NBLK, J_ROWS, J_UNITS, J_A, J_ABS, J_ACS, J_ARS, J_B, J_BBS, J_BCS, J_BRS, J_C,
  J_CBS, J_K, J_LDC, J_M, J_N, KIND_SGEMM, runSlice, runUnits, setSlice } from './shared.js';
import { BASE, addressOf, align, memoryFloats, needState, runOnAllThreads, tryScratch, type WasmState } from './state.js';

/**
 * Below this many multiply-adds (m*n*k*batch) the reference's JS loops beat copying into wasm. Measured
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
  const s = needState();
  if (work < minWasmWork) {
    referenceMatmul(a, b, out, batch, m, k, n, transA, transB, aBatchStride, bBatchStride);
    return;
  }
  const threads = work >= minThreadWork ? s.threads : 1;
  const span = (bc: number, stride: number, size: number) => (bc - 1) * stride + size;
  const aAt = addressOf(a), bAt = addressOf(b), cAt = addressOf(out);
  // scratch for the operands not resident: A, then B, then C (each 64-byte aligned)
  const aBytes = (bc: number) => (aAt < 0 ? align(4 * span(bc, aBatchStride, m * k)) : 0);
  const bBytes = (bc: number) => (bAt < 0 ? align(4 * span(bc, bBatchStride, k * n)) : 0);
  const chunkBytes = (bc: number) => aBytes(bc) + bBytes(bc) + (cAt < 0 ? align(4 * bc * m * n) : 0);
  // Batches whose copies do not fit in the memory at once are done in chunks.
  let bc = batch, base = chunkBytes(bc) === 0 ? 0 : tryScratch(chunkBytes(bc));
  while (base < 0 && bc > 1) {
    bc = Math.ceil(bc / 2);
    base = tryScratch(chunkBytes(bc));
  }
  if (base < 0) throw new GradpathError(`wasm matmul: no room for one ${m}x${k} @ ${k}x${n} product in the kernel memory`);
  const f32 = memoryFloats();
  const aScr = base, bScr = aScr + aBytes(bc), cScr = bScr + bBytes(bc);

  const p = s.ctrl;
  p[J_M] = m; p[J_N] = n; p[J_K] = k;
  p[J_ARS] = transA ? 1 : k; p[J_ACS] = transA ? m : 1; p[J_ABS] = aBatchStride;
  p[J_BRS] = transB ? 1 : n; p[J_BCS] = transB ? k : 1; p[J_BBS] = bBatchStride;
  p[J_CBS] = m * n; p[J_LDC] = n;
  for (let b0 = 0; b0 < batch; b0 += bc) {
    const cnt = Math.min(bc, batch - b0);
    const aOff = b0 * aBatchStride, bOff = b0 * bBatchStride, cOff = b0 * m * n;
    // addresses may pass 2^31: stored in the int32 words as their low 32 bits, as wasm reads them
    if (aAt >= 0) p[J_A] = aAt + 4 * aOff;
    else {
      f32.set(a.subarray(aOff, aOff + span(cnt, aBatchStride, m * k)), aScr >>> 2);
      p[J_A] = aScr;
    }
    if (bAt >= 0) p[J_B] = bAt + 4 * bOff;
    else {
      f32.set(b.subarray(bOff, bOff + span(cnt, bBatchStride, k * n)), bScr >>> 2);
      p[J_B] = bScr;
    }
    p[J_C] = cAt >= 0 ? cAt + 4 * cOff : cScr;
    runJob(s, threads, cnt, m, n);
    if (cAt < 0) out.set(f32.subarray(cScr >>> 2, (cScr >>> 2) + cnt * m * n), cOff);
  }
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
function runJob(s: WasmState, threads: number, batch: number, m: number, n: number): void {
  const p = s.ctrl;
  const packs = (t: number) => [BASE + t * s.perThread, BASE + t * s.perThread + align(s.packABytes)] as const;
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
  runOnAllThreads(s, KIND_SGEMM, () => runUnits(s.sgemm, p, 0));
}
