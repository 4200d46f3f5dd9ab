/**
 * What the main thread and the workers share: the layout of the control block (an Int32Array
 * over a SharedArrayBuffer, plus a few float64 words) and the functions that run one thread's
 * share of a job (a matmul, an in-place Adam step, GELU or cross-entropy rows).
 * Every thread runs the same code over the same shared wasm memory, so a job is just numbers.
 */
import { WA, type WasmMemory, type WasmModule } from './wasm-api.js';

export type Sgemm = (m: number, n: number, k: number, a: number, ars: number, acs: number,
  b: number, brs: number, bcs: number, c: number, ldc: number, pa: number, pb: number) => void;

/**
 * Control words: job generation (bumped to start a job), workers still busy with it, error
 * flag, and the next unclaimed work unit. Every worker runs every job (possibly claiming
 * nothing) and counts itself done, so the job words are never rewritten under a worker.
 */
export const GEN = 0, PENDING = 1, ERROR = 2, NEXT = 3;
/** Workers that have started and are waiting for jobs; a worker whose kernels failed to load sets START_FAILED. */
export const READY = 29, START_FAILED = 30;
/** Job description shared by all threads (pointers are byte offsets, strides in elements). */
export const J_M = 4, J_N = 5, J_K = 6, J_A = 7, J_ARS = 8, J_ACS = 9, J_ABS = 10,
  J_B = 11, J_BRS = 12, J_BCS = 13, J_BBS = 14, J_C = 15, J_CBS = 16, J_LDC = 17,
  /**
   * Threads claim work units one at a time from NEXT. A unit is one matrix of the batch times
   * one block of J_BLK rows (J_ROWS = 1) or columns of C; J_NBLK blocks per matrix, J_UNITS in all.
   */
  J_BLK = 19, J_NBLK = 20, J_ROWS = 21, J_UNITS = 22,
  /** What the job is: KIND_SGEMM (the words above), KIND_ADAM (the words below) or an elementwise kind. */
  J_KIND = 18;
export const KIND_SGEMM = 0, KIND_ADAM = 1, KIND_GELU_FORWARD = 2, KIND_GELU_BACKWARD = 3, KIND_CROSS_ENTROPY = 4;
/**
 * An Adam job: addresses of p, g, m, v, their length, and the unit (elements per claim); its
 * float scalars are in the control block's float64 words (F_*), after the int words.
 */
export const J_P = 23, J_G = 24, J_MOM = 25, J_VAR = 26, J_LEN = 27, J_UNIT = 28;
/** Elements per claim in elementwise jobs (whole SIMD lanes), and the fewest worth waking a worker for. */
export const ELEMENT_UNIT = 65536, MIN_THREADED_ELEMENTS = 4 * ELEMENT_UNIT;
export const F_B1 = 0, F_B2 = 1, F_OB1 = 2, F_OB2 = 3, F_STEP = 4, F_INVC2 = 5, F_EPS = 6, F_DECAY = 7, F_L2 = 8, CTRL_F64 = 9;
/**
 * Elementwise jobs reuse the Adam words: GELU reads x at J_P and writes out at J_G and its tanh
 * values at J_MOM; GELU's backward reads g, x, th at J_P, J_G, J_MOM and writes dx at J_VAR; both
 * over J_LEN elements, J_UNIT per claim. Cross-entropy rows reuse matmul words, named here.
 */
export const X_ROWS = J_M, X_COLS = J_N, X_LOGITS = J_A, X_TARGETS = J_B, X_IGNORE = J_K, X_PROBS = J_ROWS, X_LSE = J_C, X_PM1 = J_LDC;
/** Per-thread slice: batch range, row range, column range of C, and its packing buffers. */
const T_BASE = 32, T_STRIDE = 8;
export const MAX_THREADS = 64;
export const CTRL_INTS = T_BASE + T_STRIDE * MAX_THREADS;
/** Bytes of the control SharedArrayBuffer: the int words, then CTRL_F64 float64 words. */
export const CTRL_BYTES = 4 * CTRL_INTS + 8 * CTRL_F64;
export const ctrlFloats = (buf: SharedArrayBuffer) => new Float64Array(buf, 4 * CTRL_INTS, CTRL_F64);

/** kernels/elementwise.ts: GELU forward/backward, cross-entropy rows and attention's softmax (addresses are bytes). */
export interface ElementwiseKernels {
  geluForward(x: number, out: number, th: number, n: number): void;
  geluBackward(g: number, x: number, th: number, dx: number, n: number): void;
  crossEntropyRows(x: number, rows: number, cols: number, t: number, ignore: number, probs: number, lse: number, pm1: number): void;
  scaledSoftmax(x: number, rows: number, cols: number, scale: number, queries: number, out: number): void;
}

export type AdamKernel = (p: number, g: number, m: number, v: number, n: number, b1: number, b2: number, ob1: number, ob2: number,
  stepSize: number, invSqrtC2: number, eps: number, decay: number, l2: number) => void;

export function setSlice(p: Int32Array, t: number, b0: number, b1: number, r0: number, r1: number,
  c0: number, c1: number, pa: number, pb: number): void {
  const o = T_BASE + T_STRIDE * t;
  p[o] = b0; p[o + 1] = b1; p[o + 2] = r0; p[o + 3] = r1; p[o + 4] = c0; p[o + 5] = c1; p[o + 6] = pa; p[o + 7] = pb;
}

/** Runs thread t's fixed slice of the current job (the single-thread path). */
export function runSlice(sgemm: Sgemm, p: Int32Array, t: number): void {
  const o = T_BASE + T_STRIDE * t;
  const b0 = p[o], b1 = p[o + 1], r0 = p[o + 2], r1 = p[o + 3], c0 = p[o + 4], c1 = p[o + 5];
  if (r1 <= r0 || c1 <= c0) return;
  for (let bi = b0; bi < b1; bi++) block(sgemm, p, bi, r0, r1, c0, c1, p[o + 6], p[o + 7]);
}

/**
 * Claims and runs units of the current job until none are left. Claiming one by one balances
 * the load when a thread runs late (a busy machine, or the calling thread still copying);
 * every element of C is computed the same way whoever claims it, so results do not depend
 * on the split.
 */
export function runUnits(sgemm: Sgemm, p: Int32Array, t: number): void {
  const o = T_BASE + T_STRIDE * t;
  const nblk = p[J_NBLK], blk = p[J_BLK], rows = p[J_ROWS] === 1, m = p[J_M], n = p[J_N];
  forEachClaimed(p, p[J_UNITS], (u) => {
    const bi = (u / nblk) | 0, lo = (u - bi * nblk) * blk;
    if (rows) block(sgemm, p, bi, lo, Math.min(m, lo + blk), 0, n, p[o + 6], p[o + 7]);
    else block(sgemm, p, bi, 0, m, lo, Math.min(n, lo + blk), p[o + 6], p[o + 7]);
  });
}

/** Claims units 0..units-1 of the current job one at a time (shared with the other threads) and runs each. */
function forEachClaimed(p: Int32Array, units: number, run: (u: number) => void): void {
  for (let u = Atomics.add(p, NEXT, 1); u < units; u = Atomics.add(p, NEXT, 1)) run(u);
}

/** Claims J_UNIT-element pieces of a J_LEN-element job: run gets the byte offset and the length. */
function forEachClaimedRange(p: Int32Array, run: (offset: number, len: number) => void): void {
  const n = p[J_LEN], unit = p[J_UNIT];
  forEachClaimed(p, Math.ceil(n / unit), (u) => run(4 * u * unit, Math.min(unit, n - u * unit)));
}

/** Claims and runs units of the current Adam job (in place: p, m, v updated where they lie). */
export function runAdamUnits(adam: AdamKernel, p: Int32Array, f: Float64Array): void {
  forEachClaimedRange(p, (o, len) => adam(p[J_P] + o, p[J_G] + o, p[J_MOM] + o, p[J_VAR] + o, len,
    f[F_B1], f[F_B2], f[F_OB1], f[F_OB2], f[F_STEP], f[F_INVC2], f[F_EPS], f[F_DECAY], f[F_L2]));
}

/** Claims and runs units of the current GELU, GELU-backward or cross-entropy job. */
export function runElementwiseUnits(k: ElementwiseKernels, p: Int32Array): void {
  const kind = p[J_KIND];
  if (kind === KIND_CROSS_ENTROPY) {
    const rows = p[X_ROWS], cols = p[X_COLS], unit = p[J_UNIT];
    forEachClaimed(p, Math.ceil(rows / unit), (u) => {
      const r = u * unit;
      k.crossEntropyRows(p[X_LOGITS] + 4 * r * cols, Math.min(unit, rows - r), cols, p[X_TARGETS] + 4 * r, p[X_IGNORE], p[X_PROBS], p[X_LSE] + 8 * r, p[X_PM1] + 8 * r);
    });
  } else if (kind === KIND_GELU_FORWARD) {
    forEachClaimedRange(p, (o, len) => k.geluForward(p[J_P] + o, p[J_G] + o, p[J_MOM] + o, len));
  } else {
    forEachClaimedRange(p, (o, len) => k.geluBackward(p[J_P] + o, p[J_G] + o, p[J_MOM] + o, p[J_VAR] + o, len));
  }
}

/** Runs this thread's share of the current job, whichever kind it is. */
export function runShare(kernels: { sgemm: Sgemm; adam: AdamKernel; elementwise: ElementwiseKernels }, p: Int32Array, f: Float64Array, t: number): void {
  const kind = p[J_KIND];
  if (kind === KIND_ADAM) runAdamUnits(kernels.adam, p, f);
  else if (kind === KIND_SGEMM) runUnits(kernels.sgemm, p, t);
  else runElementwiseUnits(kernels.elementwise, p);
}

/** Rows r0..r1 x columns c0..c1 of matrix bi of C. */
function block(sgemm: Sgemm, p: Int32Array, bi: number, r0: number, r1: number, c0: number, c1: number, pa: number, pb: number): void {
  const ars = p[J_ARS], bcs = p[J_BCS], ldc = p[J_LDC];
  const a = p[J_A] + 4 * (bi * p[J_ABS] + r0 * ars);
  const b = p[J_B] + 4 * (bi * p[J_BBS] + c0 * bcs);
  const c = p[J_C] + 4 * (bi * p[J_CBS] + r0 * ldc + c0);
  sgemm(r1 - r0, c1 - c0, p[J_K], a, ars, p[J_ACS], b, p[J_BRS], bcs, c, ldc, pa, pb);
}

/** How long an idle thread spins (cheap to wake) before sleeping in Atomics.wait (~50 us to wake). */
export const SPIN_MS = 0.3;

/** Waits until p[i] !== v: spins first, then sleeps. */
export function waitChange(p: Int32Array, i: number, v: number): number {
  let cur = Atomics.load(p, i);
  if (cur !== v) return cur;
  const t0 = performance.now();
  for (let spins = 1; ; spins++) {
    cur = Atomics.load(p, i);
    if (cur !== v) return cur;
    if ((spins & 255) === 0 && performance.now() - t0 > SPIN_MS) {
      Atomics.wait(p, i, v);
      cur = Atomics.load(p, i);
      if (cur !== v) return cur;
    }
  }
}

/** The kernel modules a helper thread instantiates over the shared memory. */
export interface KernelModules { module: WasmModule; adamModule: WasmModule; eltModule: WasmModule }

/**
 * A helper thread's whole life, the same in Node and in a browser: instantiate the kernels over
 * the shared memory, count itself ready (or, failing, say so in shared memory: its creator waits
 * there and cannot see the thread's error event), then wait for each job and run its share. It
 * starts from the generation its creator saw, so a job posted while it was starting is not missed.
 */
export function serveJobs(mods: KernelModules, memory: WasmMemory, ctrl: SharedArrayBuffer, index: number, startGen: number, postReady: () => void): never {
  const p = new Int32Array(ctrl, 0, CTRL_INTS);
  const f = ctrlFloats(ctrl);
  let kernels: { sgemm: Sgemm; adam: AdamKernel; elementwise: ElementwiseKernels };
  try {
    const exports = (m: WasmModule) => new WA.Instance(m, { env: { memory } }).exports;
    kernels = {
      sgemm: exports(mods.module).sgemm as unknown as Sgemm,
      adam: exports(mods.adamModule).adam as unknown as AdamKernel,
      elementwise: exports(mods.eltModule) as unknown as ElementwiseKernels,
    };
  } catch (err) {
    Atomics.store(p, START_FAILED, 1);
    Atomics.notify(p, READY);
    throw err;
  }
  Atomics.add(p, READY, 1);
  Atomics.notify(p, READY);
  postReady();
  for (let gen = startGen; ;) {
    gen = waitChange(p, GEN, gen);
    try {
      runShare(kernels, p, f, index);
    } catch {
      Atomics.store(p, ERROR, 1);
    }
    if (Atomics.sub(p, PENDING, 1) === 1) Atomics.notify(p, PENDING);
  }
}
