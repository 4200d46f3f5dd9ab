/**
 * The native backend: every primitive of backend.ts in C++ (native/backend/src), matmul on
 * OpenBLAS, loaded as a Node-API addon built on this machine by `gradpath native build` (or by
 * `npm install` where a compiler and OpenBLAS exist).
 *
 * Storage: tensors keep their ordinary Float32Arrays (plain JavaScript ArrayBuffers). Node-API
 * gives the addon the address of an array's memory, so kernels read and write it in place: no
 * copy in or out, no arena to manage, and the garbage collector frees storage as it does for
 * every other backend. (The wasm backend needs its arena only because wasm code cannot address
 * memory outside its own; native code can. V8 allocates array memory with malloc, so it is
 * 16-byte aligned; BLAS and the vector loops do not need more.)
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { AdamStep, Backend, BinaryOp, ReduceOp, UnaryOp, Window2d, WindowKernels } from '../backend.js';
import { GradpathError } from '../../util/errors.js';
import { crossEntropyFromRows } from '../reference/cross-entropy.js';
import { referenceBackend as ref } from '../reference/index.js';
import { defaultThreads } from '../wasm/index.js';
import { betterCoretype, cpuFlags } from './coretype.js';

/** The addon's exports (native/backend/src/addon.cc). */
interface Addon {
  unary(op: number, x: Float32Array, out: Float32Array): void;
  binary(op: number, a: Float32Array, aStrides: number[], b: Float32Array, bStrides: number[], out: Float32Array, shape: number[]): void;
  reduce(op: number, x: Float32Array, outer: number, dim: number, inner: number, out: Float32Array): void;
  sumSquares(x: Float32Array): number;
  argmax(x: Float32Array, outer: number, dim: number, inner: number, out: Int32Array): void;
  matmul(a: Float32Array, b: Float32Array, out: Float32Array, batch: number, m: number, k: number, n: number,
    transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number): void;
  gather(x: Float32Array, outer: number, dim: number, inner: number, idx: Int32Array, out: Float32Array): void;
  scatterAdd(src: Float32Array, outer: number, dim: number, inner: number, idx: Int32Array, out: Float32Array): void;
  copyStrided(x: Float32Array | Int32Array, shape: number[], strides: number[], offset: number, out: Float32Array | Int32Array): void;
  softmax(x: Float32Array, rows: number, cols: number, out: Float32Array, log: boolean): void;
  scaledSoftmax(x: Float32Array, rows: number, cols: number, scale: number, queries: number, out: Float32Array): void;
  layerNorm(x: Float32Array, w: Float32Array | null, b: Float32Array | null, rows: number, cols: number, eps: number,
    out: Float32Array, mean: Float32Array, rstd: Float32Array): void;
  layerNormBackward(g: Float32Array, x: Float32Array, w: Float32Array | null, mean: Float32Array, rstd: Float32Array,
    rows: number, cols: number, dx: Float32Array, dw: Float32Array | null, db: Float32Array | null): void;
  adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array,
    beta1: number, beta2: number, eps: number, stepSize: number, invSqrtC2: number, decay: number, l2: number): void;
  geluForward(x: Float32Array, out: Float32Array, th: Float32Array): void;
  geluBackward(g: Float32Array, x: Float32Array, th: Float32Array, dx: Float32Array): void;
  crossEntropyRows(x: Float32Array, rows: number, cols: number, t: Int32Array, ignore: number,
    lse: Float64Array, probs: Float32Array | null, pm1: Float64Array | null): void;
  linear(x: Float32Array, w: Float32Array, bias: Float32Array, out: Float32Array, rows: number, k: number, n: number): void;
  selfAttention(qkv: Float32Array, B: number, T: number, nh: number, hs: number, scale: number, causal: boolean, y: Float32Array, att: Float32Array): void;
  selfAttentionBackward(dy: Float32Array, qkv: Float32Array, att: Float32Array, B: number, T: number, nh: number, hs: number, scale: number, dqkv: Float32Array): void;
  im2col(x: Float32Array, w: number[], out: Float32Array): void;
  col2im(cols: Float32Array, w: number[], out: Float32Array): void;
  maxPool2d(x: Float32Array, w: number[], out: Float32Array, idx: Int32Array): void;
  maxPool2dBackward(g: Float32Array, idx: Int32Array, w: number[], out: Float32Array): void;
  avgPool2d(x: Float32Array, w: number[], out: Float32Array): void;
  avgPool2dBackward(g: Float32Array, w: number[], out: Float32Array): void;
  batchNorm: WindowKernels['batchNorm'];
  batchNormBackward: WindowKernels['batchNormBackward'];
  adamMany(p: Float32Array[], g: Float32Array[], m: Float32Array[], v: Float32Array[], steps: Float32Array): void;
  linearGelu(x: Float32Array, w: Float32Array, bias: Float32Array | null, pre: Float32Array, out: Float32Array, th: Float32Array,
    rows: number, k: number, n: number): void;
  biasGeluBackward(g: Float32Array, pre: Float32Array, th: Float32Array, rows: number, n: number, dpre: Float32Array, dbias: Float32Array | null): void;
  addLayerNorm(x: Float32Array, y: Float32Array, w: Float32Array | null, b: Float32Array | null, rows: number, cols: number, eps: number,
    sum: Float32Array, out: Float32Array, mean: Float32Array, rstd: Float32Array): void;
  setThreads(n: number): void;
  threads(): number;
  blas(): string;
  /** Absent from builds before oneDNN was an option: they run OpenBLAS. */
  gemm?(): string;
}

/** Every function the loader needs: a build from older sources lacks some, and is refused rather than crashing later. */
const ADDON_FUNCTIONS: (keyof Addon)[] = ['unary', 'binary', 'reduce', 'sumSquares', 'argmax', 'matmul', 'gather', 'scatterAdd',
  'copyStrided', 'softmax', 'scaledSoftmax', 'layerNorm', 'layerNormBackward', 'adam', 'geluForward', 'geluBackward',
  'crossEntropyRows', 'linear', 'selfAttention', 'selfAttentionBackward', 'adamMany', 'linearGelu', 'biasGeluBackward', 'addLayerNorm',
  'im2col', 'col2im', 'maxPool2d', 'maxPool2dBackward', 'avgPool2d', 'avgPool2dBackward', 'batchNorm', 'batchNormBackward',
  'setThreads', 'threads', 'blas'];

// Op numbering shared with the C++ enums in native/backend/src/kernels.h (same order).
const UNARY: UnaryOp[] = ['neg', 'exp', 'log', 'sqrt', 'tanh', 'sigmoid', 'relu', 'abs'];
const BINARY: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'max', 'min', 'eq', 'gt', 'lt', 'ge'];
const REDUCE: ReduceOp[] = ['sum', 'max', 'min'];
const code = <T extends string>(names: T[]) => Object.fromEntries(names.map((n, i) => [n, i])) as Record<T, number>;
const unaryCode = code(UNARY), binaryCode = code(BINARY), reduceCode = code(REDUCE);

/** A window's geometry as the addon takes it: its 14 numbers in native/backend/src/window.h's order. */
const geometry = (w: Window2d): number[] => [w.N, w.C, w.H, w.W, w.kh, w.kw, w.sh, w.sw, w.ph, w.pw, w.dh, w.dw, w.OH, w.OW];

/** Where `gradpath native build` puts the addon (the repository's build/native, never committed). */
export const ADDON_PATH = fileURLToPath(new URL('../../../../build/native/gradpath_native.node', import.meta.url));
const PROBE_PATH = fileURLToPath(new URL('../../../../build/native/openblas-core', import.meta.url));

export const NOT_BUILT = 'the native backend is not built: run `apt-get install build-essential libopenblas-dev libopenblas0-openmp`, then `gradpath native build`';

export function nativeBuilt(): boolean {
  return existsSync(ADDON_PATH);
}

/** Who chose OpenBLAS's kernels: the environment (OPENBLAS_CORETYPE set before), gradpath, or OpenBLAS itself. */
let coretypeChosenBy: 'environment' | 'gradpath' | 'openblas' = 'openblas';

/** Sets OPENBLAS_CORETYPE (unless the user did) when OpenBLAS would pick kernels below this CPU's. */
function chooseCoretype(): void {
  if (process.env.OPENBLAS_CORETYPE) {
    coretypeChosenBy = 'environment';
    return;
  }
  if (!existsSync(PROBE_PATH)) return;
  try {
    const chosen = execFileSync(PROBE_PATH, { encoding: 'utf8', timeout: 10_000, env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' } });
    const better = betterCoretype(chosen, cpuFlags());
    if (better) {
      process.env.OPENBLAS_CORETYPE = better; // read by OpenBLAS when the addon loads it
      coretypeChosenBy = 'gradpath';
    }
  } catch { /* keep OpenBLAS's own choice */ }
}

let addon: Addon | null = null;

function load(): Addon {
  if (addon) return addon;
  if (!nativeBuilt()) throw new GradpathError(NOT_BUILT);
  chooseCoretype();
  // OpenMP threads that spin while they wait (libgomp's default) are ruinous where cores are
  // shared: on this 2-core machine at load 18 a small GPT step took 3.9 s with spinning and
  // 52 ms with sleeping threads. libgomp reads this once, when the addon loads it.
  process.env.OMP_WAIT_POLICY ??= 'passive';
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
  } catch (err) {
    throw new GradpathError(`the native backend failed to load (${(err as Error).message.split('\n')[0]}): rebuild it with \`gradpath native build\``);
  }
  const missing = ADDON_FUNCTIONS.filter((f) => typeof (addon as unknown as Record<string, unknown>)[f] !== 'function');
  if (missing.length) {
    addon = null;
    throw new GradpathError(`the native backend's build is older than its sources (no ${missing.join(', ')}): rebuild it with \`gradpath native build\``);
  }
  addon.setThreads(defaultThreads());
  return addon;
}

export interface NativeInfo {
  /** The OpenBLAS kernel set in use (e.g. SkylakeX). */
  blas: string;
  /** The library the matmuls run on: oneDNN (where built with it, unless GRADPATH_GEMM=openblas) or OpenBLAS. */
  gemm: string;
  /** environment: OPENBLAS_CORETYPE was set by the user; gradpath: set from the CPU's flags; openblas: its own choice. */
  blasChosenBy: 'environment' | 'gradpath' | 'openblas';
  threads: number;
}

/** The scalars of each step, 7 per tensor in the order of the C++ AdamStep. */
function packAdamSteps(steps: AdamStep[]): Float32Array {
  const out = new Float32Array(7 * steps.length);
  steps.forEach((s, i) => out.set([s.beta1, s.beta2, s.eps, s.stepSize, s.invSqrtC2, s.decay, s.l2], 7 * i));
  return out;
}

/**
 * The optional fused primitives, by the name GRADPATH_NATIVE_WITHOUT takes (a comma-separated
 * list): each one named is left out of the backend, so the engine composes it from the general
 * kernels as on other backends. For measuring what each fusion gives (run.sh), not for training.
 */
const FUSIONS: Record<string, (keyof Backend)[]> = {
  linear: ['linear'],
  selfAttention: ['selfAttention', 'selfAttentionBackward'],
  linearGelu: ['linearGelu', 'biasGeluBackward'],
  addLayerNorm: ['addLayerNorm'],
  adamMany: ['adamMany'],
};

function withoutFusions<B extends Backend>(b: B, list: string | undefined): B {
  for (const name of (list ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const keys = FUSIONS[name];
    if (!keys) throw new GradpathError(`GRADPATH_NATIVE_WITHOUT: no fusion '${name}'; the fusions are ${Object.keys(FUSIONS).join(', ')}`);
    for (const k of keys) delete b[k];
  }
  return b;
}

/** Loads the addon (once) and returns the native backend; throws a one-line GradpathError when it is not built. */
export function loadNative(): Backend & { info(): NativeInfo; setThreads(n: number): void } {
  const a = load();
  return withoutFusions({
    name: 'native',
    info: () => ({ blas: a.blas(), gemm: a.gemm?.() ?? 'OpenBLAS', blasChosenBy: coretypeChosenBy, threads: a.threads() }),
    setThreads: (n: number) => a.setThreads(n),
    unary: (op, x, out) => a.unary(unaryCode[op], x, out),
    binary: (op, x, xs, y, ys, out, shape) => a.binary(binaryCode[op], x, xs, y, ys, out, shape),
    reduce: (op, x, outer, dim, inner, out) => a.reduce(reduceCode[op], x, outer, dim, inner, out),
    sumSquares: (x) => a.sumSquares(x),
    argmax: (x, outer, dim, inner, out) => a.argmax(x, outer, dim, inner, out),
    matmul: (x, y, out, batch, m, k, n, ta, tb, sa, sb) => a.matmul(x, y, out, batch, m, k, n, ta, tb, sa, sb),
    gather: (x, outer, dim, inner, idx, out) => a.gather(x, outer, dim, inner, idx, out),
    scatterAdd: (src, outer, dim, inner, idx, out) => a.scatterAdd(src, outer, dim, inner, idx, out),
    copyStrided: (x, shape, strides, offset, out) => a.copyStrided(x, shape, strides, offset, out),
    softmax: (x, rows, cols, out, log) => a.softmax(x, rows, cols, out, log),
    scaledSoftmax: (x, rows, cols, scale, queries, out) => a.scaledSoftmax(x, rows, cols, scale, queries, out),
    layerNorm: (x, w, b, rows, cols, eps, out, mean, rstd) => a.layerNorm(x, w, b, rows, cols, eps, out, mean, rstd),
    layerNormBackward: (g, x, w, mean, rstd, rows, cols, dx, dw, db) => a.layerNormBackward(g, x, w, mean, rstd, rows, cols, dx, dw, db),
    adam: (p, g, m, v, s: AdamStep) => a.adam(p, g, m, v, s.beta1, s.beta2, s.eps, s.stepSize, s.invSqrtC2, s.decay, s.l2),
    geluForward: (x, out, th) => a.geluForward(x, out, th),
    geluBackward: (g, x, th, dx) => a.geluBackward(g, x, th, dx),
    crossEntropy: crossEntropyFromRows((x, rows, cols, t, ignore, lse, probs, pm1) => a.crossEntropyRows(x, rows, cols, t, ignore, lse, probs, pm1)),
    // no native kernels of their own: the reference's loops (memory-bound, rare in a step)
    softmaxBackward: ref.softmaxBackward,
    clamp: ref.clamp,
    where: ref.where,
    linear: (x, w, bias, out, rows, k, n) => a.linear(x, w, bias, out, rows, k, n),
    selfAttention: (qkv, B, T, nh, hs, scale, causal, y, att) => a.selfAttention(qkv, B, T, nh, hs, scale, causal, y, att),
    selfAttentionBackward: (dy, qkv, att, B, T, nh, hs, scale, dqkv) => a.selfAttentionBackward(dy, qkv, att, B, T, nh, hs, scale, dqkv),
    im2col: (x, w, out) => a.im2col(x, geometry(w), out),
    col2im: (cols, w, out) => a.col2im(cols, geometry(w), out),
    maxPool2d: (x, w, out, idx) => a.maxPool2d(x, geometry(w), out, idx),
    maxPool2dBackward: (g, idx, w, out) => a.maxPool2dBackward(g, idx, geometry(w), out),
    avgPool2d: (x, w, out) => a.avgPool2d(x, geometry(w), out),
    avgPool2dBackward: (g, w, out) => a.avgPool2dBackward(g, geometry(w), out),
    batchNorm: (...args) => a.batchNorm(...args),
    batchNormBackward: (...args) => a.batchNormBackward(...args),
    linearGelu: (x, w, bias, pre, out, th, rows, k, n) => a.linearGelu(x, w, bias, pre, out, th, rows, k, n),
    biasGeluBackward: (g, pre, th, rows, n, dpre, dbias) => a.biasGeluBackward(g, pre, th, rows, n, dpre, dbias),
    addLayerNorm: (x, y, w, b, rows, cols, eps, sum, out, mean, rstd) => a.addLayerNorm(x, y, w, b, rows, cols, eps, sum, out, mean, rstd),
    adamMany: (p, g, m, v, steps) => a.adamMany(p, g, m, v, packAdamSteps(steps)),
  }, process.env.GRADPATH_NATIVE_WITHOUT);
}
