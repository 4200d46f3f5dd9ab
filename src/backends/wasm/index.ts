/**
 * The wasm backend: WebAssembly SIMD kernels (kernels/*.ts, compiled by `npm run build`) over
 * one shared memory, run by this thread and a pool of worker threads. startWasm() sets it up
 * synchronously (engine/device.ts calls it on the first op, so importing the library starts
 * nothing); after that the kernels below have Backend's signatures and are synchronous: matmul,
 * the Adam step, GELU and its backward, cross-entropy rows, attention's softmax, and the passes
 * (broadcast arithmetic, sums, strided copies, layer norm) for operands in the shared memory, and
 * the window kernels of convolutional networks (im2col, col2im, pooling, batch norm).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { GradpathError } from '../../util/errors.js';
import type { Backend } from '../backend.js';
import { crossEntropyFromRows } from '../reference/cross-entropy.js';
import { CTRL_BYTES, CTRL_INTS, GEN, MAX_THREADS, ctrlFloats, type AdamKernel, type ElementwiseKernels, type Sgemm } from './shared.js';
import { matmul } from './matmul.js';
import { BASE, align, installWasm, wasmState, type WasmState } from './state.js';
import { Arena, MAX_PAGES } from './arena.js';
import { adam } from './adam.js';
import { crossEntropyRows, geluBackward, geluForward, scaledSoftmax } from './elementwise.js';
import { binary, copyStrided, layerNorm, layerNormBackward, reduce, sumSquares, type PassKernels } from './passes.js';
import { WA, type WasmGlobal } from './wasm-api.js';
import { avgPool2d, avgPool2dBackward, batchNorm, batchNormBackward, col2im, im2col, maxPool2d, maxPool2dBackward, type WindowKernelExports } from './window.js';

export { matmul, setCutoffs } from './matmul.js';
export { adam } from './adam.js';
export { crossEntropyRows, geluBackward, geluForward, scaledSoftmax } from './elementwise.js';
export { binary, copyStrided, layerNorm, layerNormBackward, reduce, sumSquares } from './passes.js';
export { avgPool2d, avgPool2dBackward, batchNorm, batchNormBackward, col2im, im2col, maxPool2d, maxPool2dBackward } from './window.js';
export { addressOf } from './state.js';

/** n zero floats in the kernels' memory (used there in place, no copies), or null when it is full. */
export function allocFloats(n: number): Float32Array | null {
  return wasmState()?.arena.floats(n) ?? null;
}

export interface WasmOptions {
  /** Threads including the calling one; default env GRADPATH_THREADS, else os.availableParallelism(). */
  threads?: number;
  /** Set false to force the plain-SIMD kernel even where relaxed SIMD (fused multiply-add) works. */
  relaxedSimd?: boolean;
}

export interface WasmInfo {
  matmul: typeof matmul;
  adam: typeof adam;
  geluForward: typeof geluForward;
  geluBackward: typeof geluBackward;
  crossEntropy: Backend['crossEntropy'];
  scaledSoftmax: typeof scaledSoftmax;
  binary: typeof binary;
  reduce: typeof reduce;
  sumSquares: typeof sumSquares;
  copyStrided: typeof copyStrided;
  layerNorm: typeof layerNorm;
  layerNormBackward: typeof layerNormBackward;
  allocFloats: typeof allocFloats;
  im2col: typeof im2col;
  col2im: typeof col2im;
  maxPool2d: typeof maxPool2d;
  maxPool2dBackward: typeof maxPool2dBackward;
  avgPool2d: typeof avgPool2d;
  avgPool2dBackward: typeof avgPool2dBackward;
  batchNorm: typeof batchNorm;
  batchNormBackward: typeof batchNormBackward;
  threads: number;
  relaxedSimd: boolean;
}

export function defaultThreads(): number {
  const env = process.env.GRADPATH_THREADS;
  if (env !== undefined && env.trim() !== '') {
    const v = Number(env);
    if (!Number.isInteger(v) || v < 1) throw new GradpathError(`GRADPATH_THREADS must be a positive integer; got '${env}'`);
    return Math.min(v, MAX_THREADS);
  }
  return Math.min(availableParallelism(), MAX_THREADS);
}

let current: { threads: number; wantRelaxed: boolean; info: WasmInfo } | null = null;

/**
 * Sets up the wasm backend (or sets it up again with different options), synchronously: the
 * modules compile on this thread and the workers start in the background; the first job that
 * needs them waits until they are ready (runOnAllThreads). Repeated calls with the same
 * options return the running set-up. Throws when the kernels are not built.
 */
export function startWasm(opts: WasmOptions = {}): WasmInfo {
  const threads = Math.max(1, Math.min(opts.threads ?? defaultThreads(), MAX_THREADS));
  const wantRelaxed = opts.relaxedSimd !== false;
  if (current && current.threads === threads && current.wantRelaxed === wantRelaxed && wasmState() !== null) return current.info;
  stopWorkers();
  current = null;
  const info = setUp(threads, wantRelaxed);
  current = { threads, wantRelaxed, info };
  return info;
}

/** startWasm, then waits until every worker is ready (so a benchmark's first job is not a start-up). */
export async function initWasm(opts: WasmOptions = {}): Promise<WasmInfo> {
  const info = startWasm(opts);
  await wasmState()!.ready;
  return info;
}

/** Stops the workers (they are unref'd, so this is optional: the process exits without it). */
export async function shutdownWasm(): Promise<void> {
  const s = wasmState();
  current = null;
  installWasm(null);
  if (s) await Promise.all(s.workers.map((w) => w.terminate()));
}

function stopWorkers(): void {
  const s = wasmState();
  installWasm(null);
  if (s) for (const w of s.workers) void w.terminate();
}

function readKernel(dir: URL, name: string): Buffer {
  try {
    return readFileSync(new URL(name, dir));
  } catch (err) {
    throw new GradpathError(`wasm backend: cannot read the kernels in ${dir.pathname} (run \`npm run build\`): ${(err as Error).message}`);
  }
}

function setUp(threads: number, wantRelaxed: boolean): WasmInfo {
  // Node 20's V8 ships relaxed SIMD behind a flag; it must be set before compiling.
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  const dir = new URL('../../../kernels/', import.meta.url);
  const adamBytes = readKernel(dir, 'adam.wasm'), eltBytes = readKernel(dir, 'elementwise.wasm'), passBytes = readKernel(dir, 'passes.wasm');
  const windowBytes = readKernel(dir, 'window.wasm');
  let bytes = readKernel(dir, 'sgemm.wasm');
  let relaxedSimd = false;
  if (wantRelaxed) {
    const relaxed = readKernel(dir, 'sgemm-relaxed.wasm');
    if (WA.validate(relaxed)) {
      bytes = relaxed;
      relaxedSimd = true;
    }
  }
  const module = new WA.Module(bytes);
  const probe = new WA.Instance(module, {
    env: { memory: new WA.Memory({ initial: 1, maximum: MAX_PAGES, shared: true }) },
  }).exports;
  const g = (name: string) => (probe[name] as WasmGlobal).value as number;
  const packABytes = g('PACK_A_BYTES') + g('EDGE_BYTES'), packBBytes = g('PACK_B_BYTES');
  // Room for every thread's packing buffers up front; the arena above them grows the memory.
  const perThread = align(packABytes) + align(packBBytes);
  const arenaStart = BASE + threads * perThread;
  const memory = new WA.Memory({ initial: Math.ceil(arenaStart / 65536), maximum: MAX_PAGES, shared: true });
  const sgemm = new WA.Instance(module, { env: { memory } }).exports.sgemm as Sgemm;
  const adamModule = new WA.Module(adamBytes);
  const adamKernel = new WA.Instance(adamModule, { env: { memory } }).exports.adam as AdamKernel;
  const eltModule = new WA.Module(eltBytes);
  const elementwise = new WA.Instance(eltModule, { env: { memory } }).exports as unknown as ElementwiseKernels;
  const passes = new WA.Instance(new WA.Module(passBytes), { env: { memory } }).exports as unknown as PassKernels;
  const window = new WA.Instance(new WA.Module(windowBytes), { env: { memory } }).exports as unknown as WindowKernelExports;
  const ctrlBuf = new SharedArrayBuffer(CTRL_BYTES);
  const ctrl = new Int32Array(ctrlBuf, 0, CTRL_INTS);

  // Workers start in the background; each counts itself in the control block when ready (see
  // worker.ts). They are unref'd at once: they never keep the process alive.
  const workers = Array.from({ length: threads - 1 }, (_, i) => {
    const w = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: { module, adamModule, eltModule, memory, ctrl: ctrlBuf, index: i + 1, gen: Atomics.load(ctrl, GEN) },
      // Workers inherit the parent's flags, but `--input-type` (from `node -e`) makes a file worker fail.
      execArgv: process.execArgv.filter((a) => !a.startsWith('--input-type')),
    });
    w.unref();
    return w;
  });
  const ready = Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
    w.once('message', () => resolve());
    w.once('error', reject);
    w.once('exit', (code) => reject(new GradpathError(`wasm worker exited during start-up (code ${code})`)));
  })));
  ready.catch(() => {}); // a failed start is reported by the first job that needs the workers
  const s: WasmState = {
    sgemm, memory, arena: new Arena(memory, arenaStart), ctrl, ctrlF64: ctrlFloats(ctrlBuf),
    workers, ready, threads, relaxedSimd, tileM: g('TILE_M'), tileN: g('TILE_N'), packABytes, packBBytes, perThread,
    adam: adamKernel, elementwise, passes, window,
  };
  installWasm(s);
  return {
    matmul, adam, geluForward, geluBackward, crossEntropy: crossEntropyFromRows(crossEntropyRows), scaledSoftmax, binary, reduce, sumSquares, copyStrided, layerNorm, layerNormBackward,
    allocFloats, im2col, col2im, maxPool2d, maxPool2dBackward, avgPool2d, avgPool2dBackward, batchNorm, batchNormBackward, threads, relaxedSimd,
  };
}
