/**
 * The wasm GELU (forward, backward) and cross-entropy rows against the reference (float64
 * Math.exp) on awkward lengths: SIMD bodies, scalar tails, chunk boundaries, masked (-inf)
 * logits and ignored rows. The kernel's float32 exp is ~1 ulp, but x - max is rounded to float32
 * first, so exp(x - max) is off by up to |x - max| ulps: probabilities agree to 1e-5 relative
 * (logits span up to ~70 here), log-sum-exp to 1e-6; a wrong term would be off by O(1).
 * Each runs twice: on ordinary arrays (copied through the wasm memory in chunks) and on arrays
 * that lie in the wasm memory (used in place; the largest sizes are split across the threads).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { allocFloats, crossEntropyRows, geluBackward, geluForward, initWasm, scaledSoftmax, shutdownWasm } from '../../src/backends/wasm/index.js';
import { referenceBackend as ref } from '../../src/backends/reference/index.js';
import { crossEntropyRows as refCrossEntropyRows } from '../../src/backends/reference/cross-entropy.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}
/** A copy of x in the wasm memory when `resident`, else x itself. */
function place(resident: boolean, x: Float32Array): Float32Array {
  if (!resident) return x;
  const r = allocFloats(x.length)!;
  r.set(x);
  return r;
}
const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

after(() => shutdownWasm());

for (const resident of [false, true]) test(`wasm gelu forward and backward match the reference${resident ? ' (resident operands)' : ''}`, async () => {
  await initWasm();
  for (const n of [1, 3, 17, 65, 127, 262144 + 5]) {
    const r = rng(n);
    // mostly N(0, 3)-ish values, plus extremes where tanh saturates
    const x = Float32Array.from({ length: n }, (_, i) => (i % 97 === 5 ? 40 * r() : 3 * r()));
    const g = Float32Array.from({ length: n }, r);
    const [o1, t1, d1] = [0, 0, 0].map(() => new Float32Array(n));
    const [o2, t2, d2] = [0, 0, 0].map(() => place(resident, new Float32Array(n)));
    const xr = place(resident, x), gr = place(resident, g);
    ref.geluForward(x, o1, t1);
    geluForward(xr, o2, t2);
    ref.geluBackward(g, x, t1, d1);
    geluBackward(gr, xr, t2, d2);
    [o2, t2, d2].forEach((a) => assert.equal(a.length, n));
    for (let i = 0; i < n; i++) {
      close(t2[i], t1[i], 1e-6, `n=${n} tanh[${i}] at x=${x[i]}`);
      close(o2[i], o1[i], 1e-6 * (1 + Math.abs(x[i])), `n=${n} gelu[${i}] at x=${x[i]}`);
      close(d2[i], d1[i], 1e-5 * (1 + Math.abs(x[i])) * Math.abs(g[i]) + 1e-7, `n=${n} dgelu[${i}] at x=${x[i]}`);
    }
  }
});

for (const resident of [false, true]) test(`wasm cross-entropy rows match the reference${resident ? ' (probabilities resident)' : ''}`, async () => {
  await initWasm();
  for (const [rows, cols] of [[1, 1], [3, 3], [17, 5], [5, 65], [2, 127], [7, 50257], [9, 30011]]) {
    const r = rng(rows * 1000 + cols);
    const x = Float32Array.from({ length: rows * cols }, () => 8 * r());
    if (cols > 3) x[cols + 1] = -Infinity; // a masked logit
    const t = Int32Array.from({ length: rows }, (_, i) => (i === 2 ? -1 : Math.floor(((r() + 1) / 2) * cols)));
    if (rows > 1) x[cols + t[1]] = 60; // a confident row: p rounds to 1
    for (const withProbs of [true, false]) {
      const [l1, l2, m1, m2] = [0, 0, 0, 0].map(() => new Float64Array(rows));
      const p1 = withProbs ? new Float32Array(rows * cols).fill(7) : null, p2 = withProbs ? place(resident, new Float32Array(rows * cols).fill(7)) : null;
      refCrossEntropyRows(x, rows, cols, t, -1, l1, p1, withProbs ? m1 : null);
      crossEntropyRows(x, rows, cols, t, -1, l2, p2, withProbs ? m2 : null);
      for (let i = 0; i < rows; i++) {
        close(l2[i], l1[i], 1e-6 * (1 + Math.abs(l1[i])), `${rows}x${cols} lse[${i}]`);
        if (!withProbs) continue;
        close(m2[i], m1[i], 1e-5 * Math.abs(m1[i]) + 1e-30, `${rows}x${cols} p-1[${i}]`);
        for (let j = 0; j < cols; j++) close(p2![i * cols + j], p1![i * cols + j], 1e-5 * p1![i * cols + j] + 1e-12, `${rows}x${cols} p[${i}][${j}]`);
      }
    }
  }
});

test('wasm attention softmax matches the reference: scaled, causal with and without a cache, unmasked', async () => {
  await initWasm();
  for (const [rows, cols, queries] of [[1, 1, 1], [3, 3, 3], [17, 17, 17], [6, 65, 3], [4, 127, 0], [128, 64, 64], [5, 9, 0]]) {
    const r = rng(rows * 100 + cols);
    const x = Float32Array.from({ length: rows * cols }, () => 6 * r());
    for (const scale of [1, 0.125]) {
      const want = new Float32Array(rows * cols).fill(7), out = place(true, new Float32Array(rows * cols).fill(7));
      ref.scaledSoftmax(x, rows, cols, scale, queries, want);
      scaledSoftmax(place(true, x), rows, cols, scale, queries, out);
      for (let i = 0; i < rows * cols; i++) close(out[i], want[i], 1e-6 * want[i] + 1e-9, `${rows}x${cols} q=${queries} scale ${scale} [${i}]`);
      const plain = new Float32Array(rows * cols);
      scaledSoftmax(x, rows, cols, scale, queries, plain);
      assert.deepEqual(plain, want, 'ordinary arrays use the reference');
    }
  }
});
