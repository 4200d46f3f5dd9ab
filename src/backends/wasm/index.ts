/**
 * Loads the wasm kernels and starts the worker pool. `await initWasm()` once; after that the
 * synchronous `matmul` (same signature as Backend.matmul) runs on wasm SIMD + threads.
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { GradpathError } from '../../util/errors.js';
import { CTRL_BYTES, CTRL_INTS, MAX_THREADS, ctrlFloats, type AdamKernel, type ElementwiseKernels, type Sgemm } from './shared.js';
import { matmul } from './matmul.js';
import { BASE, align, installWasm, wasmState, type WasmState } from './state.js';
import { Arena, MAX_PAGES } from './arena.js';
import { adam } from './adam.js';
import { crossEntropyRows, geluBackward, geluForward, scaledSoftmax } from './elementwise.js';
import { binary, copyStrided, layerNorm, layerNormBackward, reduce, sumSquares, type PassKernels } from './passes.js';
import { WA, type WasmGlobal } from './wasm-api.js';

export { matmul, setCutoffs } from './matmul.js';
export { adam } from './adam.js';
export { crossEntropyRows, geluBackward, geluForward, scaledSoftmax } from './elementwise.js';
export { binary, copyStrided, layerNorm, layerNormBackward, reduce, sumSquares } from './passes.js';
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
  crossEntropyRows: typeof crossEntropyRows;
  scaledSoftmax: typeof scaledSoftmax;
  binary: typeof binary;
  reduce: typeof reduce;
  sumSquares: typeof sumSquares;
  copyStrided: typeof copyStrided;
  layerNorm: typeof layerNorm;
  layerNormBackward: typeof layerNormBackward;
  allocFloats: typeof allocFloats;
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

let pending: { threads: number; wantRelaxed: boolean; info: Promise<WasmInfo> } | null = null;

/**
 * Initialises (or re-initialises with different options) the wasm backend. Concurrent and
 * repeated calls with the same options share one set-up.
 */
export async function initWasm(opts: WasmOptions = {}): Promise<WasmInfo> {
  const threads = Math.max(1, Math.min(opts.threads ?? defaultThreads(), MAX_THREADS));
  const wantRelaxed = opts.relaxedSimd !== false;
  const prev = pending;
  if (prev && prev.threads === threads && prev.wantRelaxed === wantRelaxed) {
    const info = await prev.info.catch(() => null);
    if (info && pending === prev) return info;
  }
  const info = (async () => {
    if (prev) await prev.info.catch(() => null); // never tear down a set-up still in progress
    await teardown();
    return setUp(threads, wantRelaxed);
  })();
  pending = { threads, wantRelaxed, info };
  return info;
}

/** Stops the workers (they are unref'd, so this is optional: the process exits without it). */
export async function shutdownWasm(): Promise<void> {
  const prev = pending;
  pending = null;
  if (prev) await prev.info.catch(() => null);
  await teardown();
}

async function teardown(): Promise<void> {
  const s = wasmState();
  installWasm(null);
  if (s) await Promise.all(s.workers.map((w) => w.terminate()));
}

async function setUp(threads: number, wantRelaxed: boolean): Promise<WasmInfo> {
  // Node 20's V8 ships relaxed SIMD behind a flag; it must be set before compiling.
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  const dir = new URL('../../../kernels/', import.meta.url);
  let bytes: Buffer, adamBytes: Buffer, eltBytes: Buffer, passBytes: Buffer;
  let relaxedSimd = false;
  try {
    adamBytes = await readFile(new URL('adam.wasm', dir));
    eltBytes = await readFile(new URL('elementwise.wasm', dir));
    passBytes = await readFile(new URL('passes.wasm', dir));
    bytes = await readFile(new URL('sgemm.wasm', dir));
    if (wantRelaxed) {
      const relaxed = await readFile(new URL('sgemm-relaxed.wasm', dir));
      if (WA.validate(relaxed)) {
        bytes = relaxed;
        relaxedSimd = true;
      }
    }
  } catch (err) {
    throw new GradpathError(`wasm backend: cannot read the kernels in ${dir.pathname} (run \`npm run build\`): ${(err as Error).message}`);
  }
  const module = await WA.compile(bytes);
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
  const adamModule = await WA.compile(adamBytes);
  const adamKernel = new WA.Instance(adamModule, { env: { memory } }).exports.adam as AdamKernel;
  const eltModule = await WA.compile(eltBytes);
  const elementwise = new WA.Instance(eltModule, { env: { memory } }).exports as unknown as ElementwiseKernels;
  const passes = new WA.Instance(await WA.compile(passBytes), { env: { memory } }).exports as unknown as PassKernels;
  const ctrlBuf = new SharedArrayBuffer(CTRL_BYTES);

  const workers: Worker[] = [];
  try {
    await Promise.all(Array.from({ length: threads - 1 }, (_, i) => new Promise<void>((resolve, reject) => {
      const w = new Worker(new URL('./worker.js', import.meta.url), {
        workerData: { module, adamModule, eltModule, memory, ctrl: ctrlBuf, index: i + 1 },
        // Workers inherit the parent's flags, but `--input-type` (from `node -e`) makes a file worker fail.
        execArgv: process.execArgv.filter((a) => !a.startsWith('--input-type')),
      });
      workers.push(w);
      // unref only once ready: an unref'd worker would not keep this await alive.
      w.once('message', () => {
        w.unref();
        resolve();
      });
      w.once('error', reject);
      w.once('exit', (code) => reject(new GradpathError(`wasm worker exited during start-up (code ${code})`)));
    })));
  } catch (err) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw err;
  }
  const s: WasmState = {
    sgemm, memory, arena: new Arena(memory, arenaStart), ctrl: new Int32Array(ctrlBuf, 0, CTRL_INTS), ctrlF64: ctrlFloats(ctrlBuf),
    workers, threads, relaxedSimd, tileM: g('TILE_M'), tileN: g('TILE_N'), packABytes, packBBytes, perThread,
    adam: adamKernel, elementwise, passes,
  };
  installWasm(s);
  return {
    matmul, adam, geluForward, geluBackward, crossEntropyRows, scaledSoftmax, binary, reduce, sumSquares, copyStrided, layerNorm, layerNormBackward,
    allocFloats, threads, relaxedSimd,
  };
}
