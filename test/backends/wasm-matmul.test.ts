/**
 * The wasm matmul against the reference oracle on awkward shapes (edge tiles in every
 * direction), transposes, and batches with broadcast (stride 0).
 *
 * Tolerance: inputs are uniform in [-1, 1], so each output is a sum of k terms of magnitude
 * <= 1 and float32 rounding (different summation order, fused multiply-add) gives errors that
 * grow like sqrt(k) * 2^-24 * |terms|; we allow max abs error <= 1e-4 * sqrt(k), far below
 * any real bug (a wrong or missing term is O(0.1)).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { initWasm, matmul, setCutoffs, shutdownWasm, startWasm } from '../../src/backends/wasm/index.js';
import { wasmState } from '../../src/backends/wasm/state.js';
import { spawnSync } from 'node:child_process';
import { matmul as reference } from '../../src/backends/reference/matmul.js';

// A deterministic generator so failures reproduce.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}
function rand(n: number, r: () => number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = r();
  return x;
}

type Mm = typeof matmul;
interface Case { batch: number; m: number; k: number; n: number; transA: boolean; transB: boolean; aStride: number; bStride: number }

function check(fn: Mm, c: Case, r: () => number, label: string): Float32Array {
  const { batch, m, k, n, transA, transB } = c;
  const aStride = c.aStride < 0 ? m * k : c.aStride, bStride = c.bStride < 0 ? k * n : c.bStride;
  const a = rand(aStride === 0 ? m * k : batch * aStride, r), b = rand(bStride === 0 ? k * n : batch * bStride, r);
  const want = new Float32Array(batch * m * n), got = new Float32Array(batch * m * n).fill(NaN);
  reference(a, b, want, batch, m, k, n, transA, transB, aStride, bStride);
  fn(a, b, got, batch, m, k, n, transA, transB, aStride, bStride);
  const tol = 1e-4 * Math.sqrt(Math.max(k, 1));
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]);
    if (!(e <= tol)) assert.fail(`${label} ${JSON.stringify(c)}: out[${i}] = ${got[i]}, want ${want[i]} (tol ${tol})`);
    worst = Math.max(worst, e);
  }
  return got;
}

const SIZES = [1, 3, 17, 64, 65, 127, 257];

after(() => shutdownWasm());

test('wasm matmul matches the reference on all combinations of awkward sizes', async () => {
  await initWasm({ threads: 2 });
  setCutoffs(0, Infinity); // the kernel itself, single-threaded, even for 1x1x1
  const r = rng(1);
  for (const m of SIZES) for (const k of SIZES) for (const n of SIZES) {
    check(matmul, { batch: 1, m, k, n, transA: false, transB: false, aStride: -1, bStride: -1 }, r, 'nn');
  }
});

test('transposed operands, both flags, on edge-tile shapes', async () => {
  await initWasm({ threads: 2 });
  setCutoffs(0, Infinity);
  const r = rng(2);
  const sizes = [1, 3, 17, 65, 257];
  for (const m of sizes) for (const k of sizes) for (const n of sizes) {
    for (const transA of [false, true]) for (const transB of [false, true]) {
      if (!transA && !transB) continue;
      check(matmul, { batch: 1, m, k, n, transA, transB, aStride: -1, bStride: -1 }, r, 'trans');
    }
  }
});

test('batches, with either operand broadcast (stride 0) and padded strides', async () => {
  await initWasm({ threads: 2 });
  setCutoffs(0, Infinity);
  const r = rng(3);
  for (const [batch, m, k, n] of [[3, 17, 65, 9], [4, 64, 64, 64], [5, 1, 127, 3], [2, 257, 17, 127]]) {
    for (const [aStride, bStride] of [[-1, -1], [0, -1], [-1, 0], [m * k + 5, k * n + 7]]) {
      for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
        check(matmul, { batch, m, k, n, transA, transB, aStride, bStride }, r, 'batch');
      }
    }
  }
});

test('k = 0 gives zeros; empty outputs are fine', async () => {
  await initWasm({ threads: 2 });
  const out = new Float32Array(6).fill(7);
  matmul(new Float32Array(0), new Float32Array(0), out, 1, 2, 0, 3, false, false, 0, 0);
  assert.deepEqual([...out], [0, 0, 0, 0, 0, 0]);
  matmul(new Float32Array(0), new Float32Array(0), new Float32Array(0), 1, 0, 4, 3, false, false, 0, 0);
});

test('threaded results match single-threaded (row, column and batch splits)', async () => {
  const shapes: Case[] = [
    { batch: 1, m: 257, k: 127, n: 65, transA: false, transB: false, aStride: -1, bStride: -1 }, // split rows
    { batch: 1, m: 17, k: 65, n: 257, transA: true, transB: true, aStride: -1, bStride: -1 }, // split columns
    { batch: 7 * 3, m: 65, k: 33, n: 17, transA: false, transB: true, aStride: 0, bStride: -1 }, // batches claimed dynamically
    { batch: 3, m: 127, k: 300, n: 127, transA: false, transB: false, aStride: -1, bStride: 0 }, // odd batch
    { batch: 1, m: 1601, k: 17, n: 5, transA: true, transB: false, aStride: -1, bStride: -1 }, // several row blocks per thread
    { batch: 1, m: 5, k: 7, n: 6149, transA: false, transB: true, aStride: -1, bStride: -1 }, // several column blocks per thread
  ];
  const single: Float32Array[] = [];
  await initWasm({ threads: 1 });
  setCutoffs(0, 0);
  shapes.forEach((c, i) => single.push(check(matmul, c, rng(10 + i), '1 thread')));
  const info = await initWasm({ threads: 3 });
  assert.equal(info.threads, 3);
  setCutoffs(0, 0); // thread even tiny work
  shapes.forEach((c, i) => {
    const got = check(matmul, c, rng(10 + i), '3 threads');
    // Each C element is computed by one thread with the same blocking, so results are identical.
    assert.deepEqual(got, single[i]);
  });
});

test('plain-SIMD build (no relaxed SIMD; its own tile shape) is also correct', async () => {
  const info = await initWasm({ threads: 2, relaxedSimd: false });
  assert.equal(info.relaxedSimd, false);
  setCutoffs(0, Infinity);
  const r = rng(5);
  const sizes = [1, 3, 17, 65, 257];
  for (const m of sizes) for (const k of sizes) for (const n of sizes) {
    const transA = (m + k) % 2 === 0, transB = (k + n) % 2 === 1;
    check(matmul, { batch: 1, m, k, n, transA, transB, aStride: -1, bStride: -1 }, r, 'plain');
  }
  setCutoffs(0, 0);
  for (const [m, k, n] of [[65, 257, 17], [127, 64, 127]]) {
    check(matmul, { batch: 2, m, k, n, transA: false, transB: true, aStride: -1, bStride: 0 }, r, 'plain threaded');
  }
});

test('startWasm is synchronous: a threaded job right after it waits for the workers to start', async () => {
  await shutdownWasm();
  const info = startWasm({ threads: 3 });
  assert.equal(info.threads, 3);
  assert.equal(wasmState()!.workers.length, 2);
  setCutoffs(0, 0);
  check(matmul, { batch: 2, m: 65, k: 33, n: 127, transA: false, transB: true, aStride: -1, bStride: -1 }, rng(7), 'fresh pool');
  assert.equal(startWasm({ threads: 3 }), info, 'the same options reuse the running set-up');
});

test('a process that used the pool exits on its own (workers are unref\'d)', () => {
  const url = new URL('../../src/backends/wasm/index.js', import.meta.url).href;
  const script = `const w = await import(${JSON.stringify(url)}); await w.initWasm({ threads: 2 }); w.setCutoffs(0, 0);
    const x = new Float32Array(256 * 256).fill(1), o = new Float32Array(256 * 256);
    w.matmul(x, x, o, 1, 256, 256, 256, false, false, 0, 0); console.log(o[0]);`;
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20000 });
  assert.equal(res.signal, null, 'timed out: the worker pool kept the process alive');
  assert.equal(res.status, 0, res.stderr);
  assert.equal(res.stdout.trim(), '256');
});
