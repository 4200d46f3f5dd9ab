/**
 * The WGSL matmul and what is built on it (linear, self-attention) against the reference
 * backend: edges in every direction (m, k, n in 1, 3, 17, 65, 127), all four transposes, batches
 * with broadcast (batch stride 0) and in chunks past the workgroup limit, inputs and output at
 * offsets inside larger buffers, both tile shapes. (One file, so the matmul pipeline compiles
 * once: seconds on a software adapter.)
 *
 * Tolerance: inputs uniform in [-1, 1], so an output is a sum of k terms of magnitude <= 1;
 * float32 rounding in a different order (and fused multiply-adds) stays below 1e-4 * sqrt(k)
 * absolute, while a wrong or missing term is O(0.1). Attention's outputs are sums of T or hs such
 * products after a softmax: 2e-5 * sqrt(T + hs) absolute + 1e-4 relative.
 */
import { test } from 'node:test';
import { matmul as reference } from '../../../src/backends/reference/matmul.js';
import { selfAttention as refAttention, selfAttentionBackward as refAttentionBackward } from '../../../src/backends/reference/attention.js';
import { linear, matmul, selfAttention, selfAttentionBackward, setLargeTilesFrom } from '../../../src/backends/webgpu/kernels/index.js';
import { GpuArrays, assertClose, gpuOrReason, limitedContext, randArray, rng } from './gpu-harness.js';

const gpu = await gpuOrReason();
const skip = typeof gpu === 'string' ? gpu : false;
const sizes = [1, 3, 17, 65, 127];

interface Case { batch: number; m: number; k: number; n: number; aStride?: number; bStride?: number }

async function check(c: Case, transA: boolean, transB: boolean, seed: number): Promise<void> {
  if (typeof gpu === 'string') return;
  const { batch, m, k, n } = c;
  const aStride = c.aStride ?? m * k, bStride = c.bStride ?? k * n;
  const r = rng(seed);
  const a = randArray(aStride === 0 ? m * k : batch * aStride, r), b = randArray(bStride === 0 ? k * n : batch * bStride, r);
  const want = new Float32Array(batch * m * n);
  reference(a, b, want, batch, m, k, n, transA, transB, aStride, bStride);
  const A = new GpuArrays(gpu);
  const out = A.output(batch * m * n);
  matmul(gpu, A.upload(a), A.upload(b), out, batch, m, k, n, transA, transB, aStride, bStride);
  const got = await A.read(out);
  assertClose(got, want, 1e-4 * Math.sqrt(k), 0, `matmul ${JSON.stringify({ ...c, transA, transB })}`);
  await A.assertUntouchedAround(out);
  A.release();
}

test('matmul: awkward shapes, every transpose', { skip }, async () => {
  let seed = 1;
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      // every size on each axis against a spread of the others
      for (let i = 0; i < sizes.length; i++) {
        for (let j = 0; j < sizes.length; j++) {
          await check({ batch: 1, m: sizes[i], k: sizes[j], n: sizes[(i + 2 * j) % sizes.length] }, transA, transB, seed++);
        }
      }
    }
  }
});

test('matmul: batches, broadcast (stride 0) and padded strides', { skip }, async () => {
  let seed = 100;
  for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    await check({ batch: 3, m: 17, k: 65, n: 3 }, transA, transB, seed++);
    await check({ batch: 4, m: 5, k: 7, n: 9, aStride: 0 }, transA, transB, seed++);
    await check({ batch: 4, m: 5, k: 7, n: 9, bStride: 0 }, transA, transB, seed++);
    await check({ batch: 2, m: 3, k: 4, n: 5, aStride: 15, bStride: 23 }, transA, transB, seed++);
  }
});

test('matmul: the 128 x 128 tile shape, k = 1 and k = 0', { skip }, async () => {
  const old = setLargeTilesFrom(1);
  try {
    let seed = 200;
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      await check({ batch: 2, m: 129, k: 65, n: 130 }, transA, transB, seed++);
      await check({ batch: 1, m: 127, k: 1, n: 3 }, transA, transB, seed++);
    }
    await check({ batch: 2, m: 3, k: 0, n: 4 }, false, false, seed++);
  } finally {
    setLargeTilesFrom(old);
  }
});

test('linear: x @ w^T + bias', { skip }, async () => {
  if (typeof gpu === 'string') return;
  let seed = 300;
  for (const [rows, k, n] of [[1, 1, 1], [17, 65, 3], [65, 3, 127], [127, 17, 65]]) {
    const r = rng(seed++);
    const x = randArray(rows * k, r), w = randArray(n * k, r), bias = randArray(n, r);
    const want = new Float32Array(rows * n);
    reference(x, w, want, 1, rows, k, n, false, true, 0, 0);
    for (let i = 0; i < rows; i++) for (let j = 0; j < n; j++) want[i * n + j] += bias[j];
    const A = new GpuArrays(gpu);
    const out = A.output(rows * n);
    linear(gpu, A.upload(x), A.upload(w), A.upload(bias), out, rows, k, n);
    assertClose(await A.read(out), want, 1e-4 * Math.sqrt(k + 1), 0, `linear ${rows}x${k}x${n}`);
    A.release();
  }
});

test('matmul: a batch past the workgroup limit runs in chunks', { skip }, async () => {
  if (typeof gpu === 'string') return;
  const batch = 7, m = 5, k = 6, n = 4;
  const r = rng(400);
  const a = randArray(batch * m * k, r), b = randArray(batch * k * n, r);
  const want = new Float32Array(batch * m * n);
  reference(a, b, want, batch, m, k, n, false, false, m * k, k * n);
  const A = new GpuArrays(gpu);
  const out = A.output(batch * m * n);
  matmul(limitedContext(gpu, 3), A.upload(a), A.upload(b), out, batch, m, k, n, false, false, m * k, k * n); // dispatches of 3, 3, 1
  assertClose(await A.read(out), want, 1e-4 * Math.sqrt(k), 0, 'batched matmul in chunks of the z limit');
  A.release();
});

test('self-attention forward and backward', { skip }, async () => {
  if (typeof gpu === 'string') return;
  let seed = 1;
  for (const [B, T, nh, hs] of [[1, 1, 1, 1], [2, 3, 1, 5], [1, 17, 3, 4], [2, 9, 2, 17], [1, 65, 2, 8]]) {
    for (const causal of [true, false]) {
      const r = rng(seed++);
      const C = nh * hs, scale = 1 / Math.sqrt(hs);
      const qkv = randArray(B * T * 3 * C, r), dy = randArray(B * T * C, r);
      const y = new Float32Array(B * T * C), att = new Float32Array(B * nh * T * T), dqkv = new Float32Array(B * T * 3 * C);
      refAttention(qkv, B, T, nh, hs, scale, causal, y, att);
      refAttentionBackward(dy, qkv, att, B, T, nh, hs, scale, dqkv);
      const A: GpuArrays = new GpuArrays(gpu);
      const QKV = A.upload(qkv), Y = A.output(y.length), ATT = A.output(att.length), DQKV = A.output(dqkv.length);
      selfAttention(gpu, QKV, B, T, nh, hs, scale, causal, Y, ATT);
      selfAttentionBackward(gpu, A.upload(dy), QKV, ATT, B, T, nh, hs, scale, DQKV);
      const what = `attention B${B} T${T} nh${nh} hs${hs} causal=${causal}`;
      const atol = 2e-5 * Math.sqrt(T + hs);
      assertClose(await A.read(ATT), att, atol, 1e-4, `${what} att`);
      assertClose(await A.read(Y), y, atol, 1e-4, `${what} y`);
      assertClose(await A.read(DQKV), dqkv, atol, 1e-4, `${what} dqkv`);
      A.release();
    }
  }
});
