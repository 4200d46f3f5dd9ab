/**
 * The WGSL self-attention (forward and backward, heads read in place inside qkv) against the
 * reference oracle in reference/attention.ts: causal and not, one head and several, T = 1, odd T
 * and head sizes, arrays at offsets.
 *
 * Tolerance: outputs are sums of T or hs products of O(1) values in float32 (another order than
 * the oracle's float64), so 2e-5 * sqrt(T + hs) absolute + 1e-4 relative; a wrong index is O(0.1).
 */
import { test } from 'node:test';
import { selfAttention as refForward, selfAttentionBackward as refBackward } from '../../../src/backends/reference/attention.js';
import { selfAttention, selfAttentionBackward } from '../../../src/backends/webgpu/kernels/index.js';
import { GpuArrays, assertClose, gpuOrReason, randArray, rng } from './gpu-harness.js';

const gpu = await gpuOrReason();
const skip = typeof gpu === 'string' ? gpu : false;

test('self-attention forward and backward', { skip }, async () => {
  if (typeof gpu === 'string') return;
  let seed = 1;
  for (const [B, T, nh, hs] of [[1, 1, 1, 1], [2, 3, 1, 5], [1, 17, 3, 4], [2, 9, 2, 17], [1, 65, 2, 8]]) {
    for (const causal of [true, false]) {
      const r = rng(seed++);
      const C = nh * hs, scale = 1 / Math.sqrt(hs);
      const qkv = randArray(B * T * 3 * C, r), dy = randArray(B * T * C, r);
      const y = new Float32Array(B * T * C), att = new Float32Array(B * nh * T * T), dqkv = new Float32Array(B * T * 3 * C);
      refForward(qkv, B, T, nh, hs, scale, causal, y, att);
      refBackward(dy, qkv, att, B, T, nh, hs, scale, dqkv);
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
