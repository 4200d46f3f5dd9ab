import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, randn, withBackend } from '../../../src/index.js';
import { referenceBackend } from '../../../src/backends/reference/index.js';

/**
 * GPT-2's output head is one big matmul, (B*T, 768) x (768, 50304). The default backend must
 * agree with the reference kernels at that shape (a wide N with a deep K), or training diverges.
 * (This test found a packed-panel overflow in the wasm kernel for N past 4096 columns per thread.)
 */
test('backend: the GPT-2 head matmul agrees with the reference kernels', () => {
  const g = new Generator(1);
  for (const [M, K, N] of [[32, 768, 6144], [32, 768, 8192], [16, 768, 50304]]) {
    const a = randn([M, K], { generator: g }), b = randn([N, K], { generator: g }).T; // x @ W^T, as Linear
    const fast = a.matmul(b).values(), ref = withBackend(referenceBackend, () => a.matmul(b)).values();
    let worst = 0;
    for (let i = 0; i < fast.length; i++) worst = Math.max(worst, Math.abs(fast[i] - ref[i]));
    assert.ok(worst < 1e-2, `${M} x ${K} x ${N}: max |diff| ${worst}`);
  }
});
