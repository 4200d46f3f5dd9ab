import type { Backend } from '../backends/backend.js';
import { referenceBackend } from '../backends/reference/index.js';

/**
 * The active backend. Every op asks for it at call time, so switching backends (e.g. to the
 * reference one for a test) changes every op at once.
 *
 * The default is wasm: the reference kernels with matmul (where training spends its time)
 * replaced by the WebAssembly SIMD kernel on all cores, and the Adam step, GELU and the
 * cross-entropy rows by WebAssembly SIMD kernels. Pooled buffers and a training run's
 * parameters and moments live in the kernels' memory (allocFloats), so kernels use them in
 * place; on such operands broadcast arithmetic, sums, strided copies and layer norm run in
 * wasm too (src/backends/wasm/passes.ts).
 * GRADPATH_BACKEND=reference selects the plain TypeScript kernels; if the wasm kernels are
 * not built, the reference is used with a one-line warning.
 */
async function loadDefault(): Promise<Backend> {
  const wanted = process.env.GRADPATH_BACKEND ?? 'wasm';
  if (wanted === 'reference') return referenceBackend;
  if (wanted !== 'wasm') {
    process.stderr.write(`gradpath: unknown GRADPATH_BACKEND '${wanted}' (use wasm or reference); using wasm\n`);
  }
  try {
    const wasm = await import('../backends/wasm/index.js');
    const info = await wasm.initWasm();
    const { threads: _threads, relaxedSimd: _relaxed, ...kernels } = info;
    return { ...referenceBackend, name: 'wasm', ...kernels };
  } catch (err) {
    process.stderr.write(`gradpath: WebAssembly kernels unavailable (${(err as Error).message.split('\n')[0]}); using the slower reference backend. Run \`npm run build\` to build them.\n`);
    return referenceBackend;
  }
}

let active: Backend = await loadDefault();

export function getBackend(): Backend {
  return active;
}

export function setBackend(backend: Backend): void {
  active = backend;
}

/** Runs fn with `backend` active, then restores the previous one. */
export function withBackend<T>(backend: Backend, fn: () => T): T {
  const prev = active;
  active = backend;
  try {
    return fn();
  } finally {
    active = prev;
  }
}
