import type { Backend } from '../backends/backend.js';
import { referenceBackend } from '../backends/reference/index.js';
import { startWasm } from '../backends/wasm/index.js';
import { loadNative } from '../backends/native/index.js';
import { GradpathError } from '../util/errors.js';

/**
 * The active backend. Every op asks for it at call time, so switching backends (e.g. to the
 * reference one for a test) changes every op at once.
 *
 * The default starts on first use, not on import: importing gradpath starts no threads.
 * It is wasm: the reference kernels with matmul (where training spends its time) replaced by
 * the WebAssembly SIMD kernel on all cores, and the Adam step, GELU and the cross-entropy rows
 * by WebAssembly SIMD kernels. Pooled buffers and a training run's parameters and moments live
 * in the kernels' memory (allocFloats), so kernels use them in place; on such operands
 * broadcast arithmetic, sums, strided copies and layer norm run in wasm too
 * (src/backends/wasm/passes.ts).
 * GRADPATH_BACKEND=native selects the C++ kernels on OpenBLAS (src/backends/native/, built by
 * `gradpath native build`), GRADPATH_BACKEND=reference the plain TypeScript kernels; a wrong
 * name, or native when it is not built, is a one-line error. If the wasm kernels are not
 * built, the reference is used with a one-line warning.
 */
export const BACKEND_NAMES = ['native', 'wasm', 'reference'] as const;

/** The backend called `name`, started if need be; a GradpathError (one line) for a wrong name or an unbuilt native backend. */
export function loadBackend(name: string): Backend {
  if (name === 'reference') return referenceBackend;
  if (name === 'native') return { ...referenceBackend, ...loadNative() };
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

function startDefault(): Backend {
  const wanted = process.env.GRADPATH_BACKEND;
  if (wanted !== undefined && wanted !== '' && !(BACKEND_NAMES as readonly string[]).includes(wanted)) {
    throw new GradpathError(`GRADPATH_BACKEND='${wanted}' is not a backend: use ${BACKEND_NAMES.join(', ')}`);
  }
  return loadBackend(wanted || 'wasm');
}

let active: Backend | null = null;

export function getBackend(): Backend {
  return (active ??= startDefault());
}

export function setBackend(backend: Backend): void {
  active = backend;
}

/** Runs fn with `backend` active, then restores the previous one (the default, started lazily, if none was set). */
export function withBackend<T>(backend: Backend, fn: () => T): T {
  const prev = active;
  active = backend;
  try {
    return fn();
  } finally {
    active = prev;
  }
}
