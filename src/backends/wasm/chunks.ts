/**
 * Streams equal-length float arrays through a wasm kernel in chunks of at most `chunk` floats,
 * small enough that copy-in, kernel and copy-out stay in L2: each chunk of an `in` array is
 * copied into the shared memory, `run` gets the byte offset of every array's chunk (in the order
 * given) and the chunk's length, and each chunk of an `out` array is copied back.
 */
import { scratch, type WasmState } from './state.js';

export interface ChunkedArray {
  data: Float32Array;
  in?: boolean;
  out?: boolean;
}

export function streamChunks(n: number, chunk: number, arrays: ChunkedArray[], run: (state: WasmState, at: number[], len: number) => void): void {
  const c = Math.min(chunk, n);
  if (c === 0) return;
  const { state, base, f32 } = scratch(4 * c * arrays.length);
  const at = arrays.map((_, k) => base + 4 * c * k);
  for (let i = 0; i < n; i += c) {
    const len = Math.min(c, n - i);
    arrays.forEach((a, k) => a.in && f32.set(a.data.subarray(i, i + len), at[k] >>> 2));
    run(state, at, len);
    arrays.forEach((a, k) => a.out && a.data.set(f32.subarray(at[k] >>> 2, (at[k] >>> 2) + len), i));
  }
}
