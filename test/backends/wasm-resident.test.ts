/**
 * Kernels on operands that lie in the wasm memory (used in place, no copies) against the
 * reference: matmul on awkward shapes, transposed and batched, with every mix of resident and
 * ordinary A, B and C; and the in-place Adam step, threaded across workers, against the
 * copying path (bit for bit: the same kernel on the same values) and the reference.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { adam, allocFloats, initWasm, matmul, setCutoffs, shutdownWasm } from '../../src/backends/wasm/index.js';
import { matmul as refMatmul } from '../../src/backends/reference/matmul.js';
import { adam as refAdam } from '../../src/backends/reference/adam.js';
import type { AdamStep } from '../../src/backends/backend.js';

after(() => shutdownWasm());

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

/** n floats from r, resident in the wasm memory or an ordinary array. */
function floats(n: number, resident: boolean, r: () => number = () => 0): Float32Array {
  const x = resident ? allocFloats(n)! : new Float32Array(n);
  assert.ok(x, 'room in the wasm memory');
  for (let i = 0; i < n; i++) x[i] = r();
  return x;
}

test('matmul with resident operands matches the reference (shapes, transposes, batches, every mix)', async () => {
  await initWasm({ threads: 2 });
  const r = rng(1);
  const sizes = [1, 3, 17, 65, 127];
  const cases: [number, number, number, number][] = [];
  for (const m of sizes) for (const k of sizes) for (const n of sizes) cases.push([1, m, k, n]);
  cases.push([3, 17, 65, 9], [4, 65, 127, 3], [5, 1, 127, 17]);
  for (const [cut, label] of [[[0, Infinity], '1 thread'], [[0, 0], 'threaded']] as const) {
    setCutoffs(cut[0], cut[1]);
    cases.forEach(([batch, m, k, n], i) => {
      const mix = i % 8; // which of A, B, C are resident
      const transA = i % 3 === 1, transB = i % 5 >= 3;
      const aStride = batch > 1 && i % 2 ? 0 : m * k, bStride = batch > 1 && !(i % 2) ? 0 : k * n;
      const a = floats(aStride === 0 ? m * k : batch * m * k, (mix & 1) !== 0, r);
      const b = floats(bStride === 0 ? k * n : batch * k * n, (mix & 2) !== 0, r);
      const got = floats(batch * m * n, (mix & 4) !== 0, () => NaN), want = new Float32Array(batch * m * n);
      refMatmul(a, b, want, batch, m, k, n, transA, transB, aStride, bStride);
      matmul(a, b, got, batch, m, k, n, transA, transB, aStride, bStride);
      const tol = 1e-4 * Math.sqrt(k);
      for (let j = 0; j < want.length; j++) {
        if (!(Math.abs(got[j] - want[j]) <= tol)) {
          assert.fail(`${label} mix ${mix} ${JSON.stringify({ batch, m, k, n, transA, transB })}: out[${j}] = ${got[j]}, want ${want[j]}`);
        }
      }
    });
  }
});

test('matmul reads a resident operand at its offset (a subarray of a larger block)', async () => {
  await initWasm({ threads: 2 });
  setCutoffs(0, 0);
  const r = rng(2), m = 65, k = 17, n = 33;
  const block = floats(7 + m * k, true, r), b = floats(k * n, true, r);
  const a = block.subarray(7);
  const got = floats(m * n, true), want = new Float32Array(m * n);
  refMatmul(a, b, want, 1, m, k, n, false, false, 0, 0);
  matmul(a, b, got, 1, m, k, n, false, false, 0, 0);
  for (let j = 0; j < want.length; j++) assert.ok(Math.abs(got[j] - want[j]) <= 1e-3, `out[${j}]`);
});

const step: AdamStep = { beta1: 0.9, beta2: 0.95, eps: 1e-8, stepSize: 1e-3 / 0.1, invSqrtC2: 1 / Math.sqrt(0.05), decay: 1 - 1e-4, l2: 0.01 };

for (const threads of [1, 2, 3]) {
  test(`in-place Adam (${threads} thread${threads > 1 ? 's' : ''}) equals the copying path bit for bit and the reference within 1e-6`, async () => {
    await initWasm({ threads });
    for (const n of [1, 3, 17, 65, 127, 4 * 65536 + 5, 9 * 65536 + 3]) {
      const r = rng(n);
      const init = [r, r, () => 0.1 * r(), () => Math.abs(0.01 * r())].map((f) => Float32Array.from({ length: n }, f));
      const resident = init.map((x) => floats(n, true, ((i) => () => x[i++])(0)));
      const copied = init.map((x) => x.slice());
      const ref = init.map((x) => x.slice());
      adam(resident[0], resident[1], resident[2], resident[3], step);
      adam(copied[0], copied[1], copied[2], copied[3], step);
      refAdam(ref[0], ref[1], ref[2], ref[3], step);
      for (let j = 0; j < 4; j++) assert.deepEqual(resident[j], copied[j], `n=${n} array ${j}`);
      assert.deepEqual(resident[1], init[1], 'the gradient is not written');
      for (let i = 0; i < n; i++) {
        const scale = Math.abs(init[0][i]) + Math.abs(init[1][i]) + Math.abs(ref[0][i] - init[0][i] * step.decay);
        assert.ok(Math.abs(resident[0][i] - ref[0][i]) <= 1e-6 * scale, `n=${n} p[${i}]: ${resident[0][i]} vs ${ref[0][i]}`);
      }
    }
  });
}

test('in-place Adam with one array not resident takes the copying path and agrees', async () => {
  await initWasm({ threads: 2 });
  const n = 5 * 65536 + 1, r = rng(3);
  const init = [r, r, () => 0.1 * r(), () => Math.abs(0.01 * r())].map((f) => Float32Array.from({ length: n }, f));
  const mixed = init.map((x, j) => (j === 2 ? x.slice() : floats(n, true, ((i) => () => x[i++])(0))));
  const copied = init.map((x) => x.slice());
  adam(mixed[0], mixed[1], mixed[2], mixed[3], step);
  adam(copied[0], copied[1], copied[2], copied[3], step);
  for (let j = 0; j < 4; j++) assert.deepEqual(mixed[j], copied[j]);
});
