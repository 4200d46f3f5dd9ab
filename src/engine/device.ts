import type { Backend } from '../backends/backend.js';
import { referenceBackend } from '../backends/reference/index.js';
import { startWasm } from '../backends/wasm/index.js';
import { loadNative, nativeBuilt } from '../backends/native/index.js';
import { startWebGpu } from '../backends/webgpu/index.js';
import { GradpathError } from '../util/errors.js';

/**
 * The active backend. Every op asks for it at call time, so switching backends (e.g. to the
 * reference one for a test) changes every op at once.
 *
 * The default starts on first use, not on import: importing gradpath starts no threads. It is
 * native (the C++ kernels on OpenBLAS, src/backends/native/) where that is built (`npm install`
 * builds it when a compiler and OpenBLAS exist, `gradpath native build` later), else wasm: the
 * reference kernels with matmul, the Adam step, GELU and the cross-entropy rows replaced by
 * WebAssembly SIMD kernels on all cores, and on operands in the kernels' memory (pooled buffers,
 * a run's parameters and moments) the memory-bound passes too (src/backends/wasm/passes.ts).
 * A default native build that fails to load (built for another Node, older than its sources)
 * falls back to wasm with a one-line note. GRADPATH_BACKEND or a command's --backend (which
 * wins) choose explicitly: native, wasm, webgpu or reference; a wrong name, native when it is not
 * built, or webgpu where no WebGPU adapter can be had, is a one-line error. If the wasm kernels
 * are not built, the reference is used with a one-line warning. webgpu (src/backends/webgpu/) is
 * never the default: on machines without a GPU its only adapter is a slow software one.
 */
export const BACKEND_NAMES = ['native', 'wasm', 'webgpu', 'reference'] as const;

/** The backend called `name`, started if need be; a GradpathError (one line) for a wrong name or an unbuilt native backend. */
export function loadBackend(name: string): Backend {
  if (name === 'reference') return referenceBackend;
  if (name === 'native') return { ...referenceBackend, ...loadNative() };
  if (name === 'webgpu') return noteDeviceMemory(startWebGpu());
  if (name !== 'wasm') throw new GradpathError(`unknown backend '${name}': use ${BACKEND_NAMES.join(', ')}`);
  try {
    const { threads: _threads, relaxedSimd: _relaxed, ...kernels } = startWasm();
    return { ...referenceBackend, name: 'wasm', ...kernels };
  } catch (err) {
    process.stderr.write(`gradpath: WebAssembly kernels unavailable (${(err as Error).message.split('\n')[0]}); using the slower reference backend. Run \`npm run build\` to build them.\n`);
    return referenceBackend;
  }
}

/** Makes the backend called `name` the active one (for `--backend` flags); errors as loadBackend. */
export function selectBackend(name: string): Backend {
  active = loadBackend(name);
  return active;
}

/** What runs when nothing is chosen: native where built, else wasm. */
export function defaultBackendName(): 'native' | 'wasm' {
  return nativeBuilt() ? 'native' : 'wasm';
}

/** A wrong GRADPATH_BACKEND, refused in one line (checked before a command starts, and here). */
export function checkBackendEnv(): string | undefined {
  const wanted = process.env.GRADPATH_BACKEND;
  if (wanted === undefined || wanted === '') return undefined;
  if (!(BACKEND_NAMES as readonly string[]).includes(wanted)) {
    throw new GradpathError(`GRADPATH_BACKEND='${wanted}' is not a backend: use ${BACKEND_NAMES.join(', ')}`);
  }
  return wanted;
}

function startDefault(): Backend {
  const wanted = checkBackendEnv();
  if (wanted) return loadBackend(wanted);
  if (defaultBackendName() === 'native') {
    try {
      return loadBackend('native');
    } catch (err) {
      // the default must never stop a command: a stale or broken build gives way to wasm
      process.stderr.write(`gradpath: ${(err as Error).message.split('\n')[0]}; using the wasm backend.\n`);
    }
  }
  return loadBackend('wasm');
}

/**
 * Applies a command's --backend flag: the named backend becomes the active one (it wins over
 * GRADPATH_BACKEND); without the flag, the default (or GRADPATH_BACKEND) starts on first use.
 */
export function useBackend(name: string | undefined): void {
  if (name) selectBackend(name);
}

/** The name of the backend ops run on (starting the default if none is active): what progress lines and --json summaries report. */
export function backendName(): string {
  return getBackend().name;
}

let active: Backend | null = null;

export function getBackend(): Backend {
  return (active ??= startDefault());
}

export function setBackend(backend: Backend): void {
  active = noteDeviceMemory(backend);
}

/**
 * Before the host reads (or, with `overwrite`, overwrites all of) storage that a kernel may have
 * written: a backend whose kernels work on device memory (webgpu) makes the host copy current.
 * Every host access to tensor storage goes through here (Tensor.values, item, accumulateGrad, the
 * engine's host loops), so no path reads stale values; on the CPU backends it does nothing.
 */
export function syncHost(a: Float32Array | Int32Array | Float64Array, overwrite = false): void {
  deviceMemory?.sync?.(a, overwrite);
}

/** The backend with device memory, once used: its arrays stay synced even while another backend is active (withBackend in tests). */
let deviceMemory: Backend | null = null;

function noteDeviceMemory<B extends Backend>(backend: B): B {
  if (backend.sync) deviceMemory = backend;
  return backend;
}

/** Runs fn with `backend` active, then restores the previous one (the default, started lazily, if none was set). */
export function withBackend<T>(backend: Backend, fn: () => T): T {
  const prev = active;
  active = noteDeviceMemory(backend);
  try {
    return fn();
  } finally {
    active = prev;
  }
}
