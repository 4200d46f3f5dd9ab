/**
 * Long-lived storage in the memory where the backend's kernels work (the wasm backend's shared
 * memory), for a training run's parameters and optimizer moments: matmul and the Adam step then
 * use them in place instead of copying them in and out every step. Where the backend offers no
 * such memory, or it is full, these are ordinary arrays and everything works the same, with copies.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { getBackend } from './device.js';
import type { Tensor } from './tensor.js';

/** Smaller arrays stay ordinary: copying them is cheap and the bookkeeping is not. */
export const MIN_RESIDENT = 4096;

/** n zero floats, in the backend's memory when it has room. */
export function residentFloats(n: number): Float32Array {
  return (n >= MIN_RESIDENT ? getBackend().allocFloats?.(n) : null) ?? new Float32Array(n);
}

const moved = new WeakSet<Float32Array | Int32Array>();

/** Past this many bytes moved, the old arrays are worth collecting at once (see makeResident). */
const COLLECT_BYTES = 64 * 2 ** 20;

/**
 * Moves parameters' values into the backend's memory (once each; a no-op when it has no room).
 * Only a tensor that owns its whole storage moves: views made before the move would keep
 * reading the old array, so call this before taking any (optimizers do, when constructed).
 *
 * The old arrays are garbage, but V8 collects ordinary arrays only when more ordinary arrays
 * are allocated, and a training run whose buffers all live in the backend's memory hardly
 * allocates any: GPT-2's 0.5 GB of old parameters would stay resident for the whole run. So
 * after a large move, one full collection (~10-50 ms) gives them back.
 */
export function makeResident(params: Tensor[]): void {
  const alloc = getBackend().allocFloats;
  if (!alloc) return;
  let bytes = 0;
  for (const t of params) {
    if (moved.has(t.storage) || t.dtype !== 'float32' || t.offset !== 0 || t.data.length !== t.numel() || t.numel() < MIN_RESIDENT) continue;
    const r = alloc(t.numel());
    if (!r) return;
    r.set(t.data);
    t.data = r;
    moved.add(r);
    bytes += r.byteLength;
  }
  if (bytes >= COLLECT_BYTES) collectGarbage();
}

let gc: (() => void) | null = null;

/** A full garbage collection (the flag-and-context route jest's leak detector uses too). */
function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
