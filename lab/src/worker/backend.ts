/**
 * The engine's wasm backend, started in a Web Worker. The kernels and their wrappers are the
 * CLI's (src/backends/wasm/); only the start-up differs from Node's startWasm: the modules are
 * fetched (Vite gives their URLs) instead of read from disk, and the helper threads are Web
 * Workers (kernel-worker.ts) instead of worker_threads. Helper threads need a SharedArrayBuffer,
 * which a browser gives only to a cross-origin isolated page (COOP/COEP headers); without it the
 * same kernels run on this one thread, and without shared wasm memory at all, the reference kernels.
 */
import sgemmUrl from '../../../dist/kernels/sgemm.wasm?url';
import sgemmRelaxedUrl from '../../../dist/kernels/sgemm-relaxed.wasm?url';
import adamUrl from '../../../dist/kernels/adam.wasm?url';
import eltUrl from '../../../dist/kernels/elementwise.wasm?url';
import passesUrl from '../../../dist/kernels/passes.wasm?url';
import windowUrl from '../../../dist/kernels/window.wasm?url';
import KernelWorker from './kernel-worker.ts?worker';
import DeviceWorker from '../../../src/backends/webgpu/browser-device.ts?worker';
import { startWebGpuInBrowser } from '../../../src/backends/webgpu/browser.js';
import { referenceBackend } from '../../../src/backends/reference/index.js';
import { crossEntropyFromRows } from '../../../src/backends/reference/cross-entropy.js';
import { setBackend } from '../../../src/engine/device.js';
import { installWasm, BASE, align, type WasmState } from '../../../src/backends/wasm/state.js';
import { Arena, MAX_PAGES } from '../../../src/backends/wasm/arena.js';
import { CTRL_BYTES, CTRL_INTS, GEN, MAX_THREADS, ctrlFloats, type AdamKernel, type ElementwiseKernels, type Sgemm } from '../../../src/backends/wasm/shared.js';
import type { PassKernels } from '../../../src/backends/wasm/passes.js';
import { avgPool2d, avgPool2dBackward, batchNorm, batchNormBackward, col2im, im2col, maxPool2d, maxPool2dBackward, type WindowKernelExports } from '../../../src/backends/wasm/window.js';
import { matmul } from '../../../src/backends/wasm/matmul.js';
import { adam } from '../../../src/backends/wasm/adam.js';
import { crossEntropyRows, geluBackward, geluForward, scaledSoftmax } from '../../../src/backends/wasm/elementwise.js';
import { binary, copyStrided, layerNorm, layerNormBackward, reduce, sumSquares } from '../../../src/backends/wasm/passes.js';

export interface BackendInfo {
  /** What the page shows: 'wasm SIMD, 4 threads', 'wasm SIMD, 1 thread (not cross-origin isolated)', 'WebGPU on ...' */
  description: string;
  name: 'wasm' | 'reference' | 'webgpu';
  threads: number;
  isolated: boolean;
}

/** What a page may ask for: wasm (the default) or webgpu (offered where the browser has navigator.gpu). */
export type BackendChoice = 'wasm' | 'webgpu';

let started: Promise<BackendInfo> | null = null;

/**
 * Starts the backend once per worker; `threads` 0 means one per core (at most 8: each is a whole
 * core). webgpu that cannot start (no WebGPU, no adapter, no cross-origin isolation) rejects with
 * one line saying why: the learner chose it, so it is not swapped for wasm behind their back.
 */
export function startBackend(threads = 0, choice: BackendChoice = 'wasm'): Promise<BackendInfo> {
  return (started ??= choice === 'webgpu' ? startGpu() : start(threads));
}

/** The engine's webgpu backend, its device in a nested worker (src/backends/webgpu/browser.ts). */
async function startGpu(): Promise<BackendInfo> {
  const gpu = await startWebGpuInBrowser(() => new DeviceWorker());
  setBackend(gpu);
  return { name: 'webgpu', threads: 1, isolated: true, description: `WebGPU on ${gpu.bridge.description}` };
}

async function compile(url: string): Promise<WebAssembly.Module> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`cannot fetch ${url}: HTTP ${res.status}`);
  return WebAssembly.compile(await res.arrayBuffer());
}

async function start(wanted: number): Promise<BackendInfo> {
  const isolated = globalThis.crossOriginIsolated === true;
  try {
    let memory: WebAssembly.Memory;
    try {
      memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    } catch {
      throw new Error('this browser gives no shared WebAssembly memory here');
    }
    const threads = isolated ? Math.max(1, Math.min(wanted || Math.min(navigator.hardwareConcurrency || 1, 8), MAX_THREADS)) : 1;
    const [plain, relaxed, adamModule, eltModule, passModule, windowModule] = await Promise.all(
      [sgemmUrl, sgemmRelaxedUrl, adamUrl, eltUrl, passesUrl, windowUrl].map((u) => compile(u).catch(() => null)));
    if (!plain || !adamModule || !eltModule || !passModule || !windowModule) throw new Error('the kernels could not be loaded');
    const module = relaxed ?? plain;
    const probe = new WebAssembly.Instance(module, { env: { memory } }).exports;
    const g = (name: string) => (probe[name] as WebAssembly.Global).value as number;
    const packABytes = g('PACK_A_BYTES') + g('EDGE_BYTES'), packBBytes = g('PACK_B_BYTES');
    const perThread = align(packABytes) + align(packBBytes);
    const arenaStart = BASE + threads * perThread;
    memory.grow(Math.ceil(arenaStart / 65536) - 1);
    const instance = (m: WebAssembly.Module) => new WebAssembly.Instance(m, { env: { memory } }).exports;
    // The control block must be shared with the helpers; a page that is not isolated has no
    // SharedArrayBuffer constructor, but then there are no helpers and a shared wasm page serves.
    const ctrlBuf = (isolated ? new SharedArrayBuffer(CTRL_BYTES) : new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer) as SharedArrayBuffer;
    const ctrl = new Int32Array(ctrlBuf, 0, CTRL_INTS);
    const helpers = Array.from({ length: threads - 1 }, (_, i) => {
      const w = new KernelWorker();
      w.postMessage({ module, adamModule, eltModule, memory, ctrl: ctrlBuf, index: i + 1, gen: Atomics.load(ctrl, GEN) });
      return w;
    });
    // Wait here, not in the first job: a browser may start a nested worker only while its parent's event loop runs.
    await Promise.all(helpers.map((w) => new Promise<void>((ok, fail) => {
      w.onmessage = () => ok();
      w.onerror = (e) => fail(new Error(`a helper thread failed to start: ${e.message}`));
    })));
    const workers = helpers.map((w) => ({ terminate: async () => (w.terminate(), 0) }));
    const s: WasmState = {
      sgemm: instance(module).sgemm as unknown as Sgemm,
      memory: memory as unknown as WasmState['memory'],
      arena: new Arena(memory as unknown as WasmState['memory'], arenaStart),
      ctrl, ctrlF64: ctrlFloats(ctrlBuf), workers, ready: Promise.resolve(), threads, relaxedSimd: relaxed !== null,
      tileM: g('TILE_M'), tileN: g('TILE_N'), packABytes, packBBytes, perThread,
      adam: instance(adamModule).adam as unknown as AdamKernel,
      elementwise: instance(eltModule) as unknown as ElementwiseKernels,
      passes: instance(passModule) as unknown as PassKernels,
      window: instance(windowModule) as unknown as WindowKernelExports,
    };
    installWasm(s);
    setBackend({
      ...referenceBackend, name: 'wasm', matmul, adam, geluForward, geluBackward, crossEntropy: crossEntropyFromRows(crossEntropyRows), scaledSoftmax,
      binary, reduce, sumSquares, copyStrided, layerNorm, layerNormBackward, allocFloats: (n: number) => s.arena.floats(n),
      im2col, col2im, maxPool2d, maxPool2dBackward, avgPool2d, avgPool2dBackward, batchNorm, batchNormBackward,
    });
    const why = isolated ? '' : ' (the page is not cross-origin isolated, so no helper threads)';
    return { name: 'wasm', threads, isolated, description: `wasm SIMD${relaxed ? ' (relaxed)' : ''}, ${threads} thread${threads > 1 ? 's' : ''}${why}` };
  } catch (err) {
    setBackend(referenceBackend);
    return { name: 'reference', threads: 1, isolated, description: `reference kernels, 1 thread (${(err as Error).message})` };
  }
}
