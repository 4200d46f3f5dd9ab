/**
 * The wasm backend's window kernels (kernels/window.ts via src/backends/wasm/window.ts) against
 * the reference loops and through the engine (the shared suite, window-suite.ts), on ordinary
 * arrays (copied into the kernels' memory) and on arrays that lie in it; and the one-line refusals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBackend } from '../../src/engine/device.js';
import { allocFloats } from '../../src/backends/wasm/index.js';
import { referenceWindowKernels as oracle } from '../../src/backends/reference/index.js';
import { close, rand } from './compare.js';
import { geometry, windowKernelTests } from './window-suite.js';

windowKernelTests('wasm', () => loadBackend('wasm'), false);

/** A copy of x in the kernels' memory. */
function resident(x: Float32Array): Float32Array {
  const r = allocFloats(x.length)!;
  r.set(x);
  return r;
}

test('wasm window kernels work in place on arrays in the kernels\' memory, with the reference\'s results', () => {
  const B = loadBackend('wasm');
  const w = geometry(3, 5, 17, 28, [3, 3], [1, 1], [1, 1], [1, 1])!;
  const nIn = w.N * w.C * w.H * w.W, nCols = nIn * 9;
  const x = resident(rand(nIn, 1)), cols = resident(new Float32Array(nCols).fill(NaN));
  B.im2col!(x, w, cols);
  const want = new Float32Array(nCols);
  oracle.im2col(x, w, want);
  close(cols, want, 0, 'resident im2col');
  const back = resident(new Float32Array(nIn).fill(NaN)), back0 = new Float32Array(nIn);
  B.col2im!(cols, w, back);
  oracle.col2im(want, w, back0);
  close(back, back0, 0, 'resident col2im');
  const L = w.H * w.W, out = resident(new Float32Array(nIn)), out0 = new Float32Array(nIn);
  const mean = new Float32Array(w.C), rstd = new Float32Array(w.C), mean0 = new Float32Array(w.C), rstd0 = new Float32Array(w.C);
  B.batchNorm!(x, w.N, w.C, L, null, null, 1e-5, true, mean, rstd, out);
  oracle.batchNorm(x, w.N, w.C, L, null, null, 1e-5, true, mean0, rstd0, out0);
  close(out, out0, 2e-6, 'resident batchNorm');
});

test('wasm window kernels refuse an inconsistent geometry or a bad index with one line', () => {
  const B = loadBackend('wasm');
  const w = geometry(1, 1, 4, 4, [3, 3], [1, 1], [0, 0], [1, 1])!;
  assert.throws(() => B.im2col!(new Float32Array(16), { ...w, OH: 3 }, new Float32Array(9 * 9)), /inconsistent geometry/);
  assert.throws(() => B.im2col!(new Float32Array(15), w, new Float32Array(9 * 4)), /inconsistent geometry/);
  assert.throws(() => B.maxPool2dBackward!(new Float32Array(4), Int32Array.of(0, 1, 16, 2), w, new Float32Array(16)), /index out of range/);
  assert.throws(() => B.batchNorm!(new Float32Array(5), 1, 2, 3, null, null, 1e-5, true, new Float32Array(2), new Float32Array(2), new Float32Array(6)), /too short/);
});
