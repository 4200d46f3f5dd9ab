import type { Backend } from '../backends/backend.js';
import { referenceBackend } from '../backends/reference/index.js';
import { startWasm } from '../backends/wasm/index.js';

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
 * GRADPATH_BACKEND=reference selects the plain TypeScript kernels; if the wasm kernels are
 * not built, the reference is used with a one-line warning.
 */
function startDefault(): Backend {
  const wanted = process.env.GRADPATH_BACKEND ?? 'wasm';
  if (wanted === 'reference') return referenceBackend;
  if (wanted !== 'wasm') {
    process.stderr.write(`gradpath: unknown GRADPATH_BACKEND '${wanted}' (use wasm or reference); using wasm\n`);
  }
  try {
    const { threads: _threads, relaxedSimd: _relaxed, ...kernels } = startWasm();
    return { ...referenceBackend, name: 'wasm', ...kernels };
  } catch (err) {
    process.stderr.write(`gradpath: WebAssembly kernels unavailable (${(err as Error).message.split('\n')[0]}); using the slower reference backend. Run \`npm run build\` to build them.\n`);
    return referenceBackend;
  }
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
