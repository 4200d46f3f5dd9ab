/**
 * The wasm Adam step against the reference oracle (float64 per element) on awkward lengths,
 * including ones past the kernel's 65536-element chunk and its 4-lane tail. float32 arithmetic
 * differs from float64 by a few ulps per operation, so each result must agree to 1e-6 of the
 * terms it sums (p and its update, m and g, v and g^2), far below a wrong term's O(1).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { adam, initWasm, shutdownWasm } from '../../src/backends/wasm/index.js';
import { adam as reference } from '../../src/backends/reference/adam.js';
import type { AdamStep } from '../../src/backends/backend.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

after(() => shutdownWasm());

const steps: [string, AdamStep][] = [
  ['AdamW at step 1', { beta1: 0.9, beta2: 0.95, eps: 1e-8, stepSize: 1e-3 / 0.1, invSqrtC2: 1 / Math.sqrt(0.05), decay: 1 - 1e-3 * 0.1, l2: 0 }],
  ['Adam with L2 at step 7', { beta1: 0.9, beta2: 0.999, eps: 1e-8, stepSize: 1e-2 / (1 - 0.9 ** 7), invSqrtC2: 1 / Math.sqrt(1 - 0.999 ** 7), decay: 1, l2: 0.01 }],
];

for (const [name, s] of steps) {
  test(`wasm adam matches the reference: ${name}`, async () => {
    await initWasm();
    for (const n of [1, 3, 4, 17, 65, 127, 65536, 65536 * 2 + 5]) {
      const r = rng(n);
      const p = Float32Array.from({ length: n }, r), g = Float32Array.from({ length: n }, r);
      const m = Float32Array.from({ length: n }, () => 0.1 * r()), v = Float32Array.from({ length: n }, () => Math.abs(0.01 * r()));
      const [p2, g2, m2, v2] = [p, g, m, v].map((a) => a.slice());
      const [p0, m0, v0] = [p, m, v].map((a) => a.slice());
      reference(p, g, m, v, s);
      adam(p2, g2, m2, v2, s);
      assert.deepEqual(g2, g, 'the gradient is not written');
      for (let i = 0; i < n; i++) {
        // errors scale with the terms summed, not with a result that may cancel
        const gi = Math.abs(g[i]) + s.l2 * Math.abs(p0[i]);
        const tolM = 1e-6 * (Math.abs(m0[i]) + gi), tolV = 1e-6 * (Math.abs(v0[i]) + gi * gi);
        const tolP = 1e-6 * (Math.abs(p0[i]) + Math.abs(p0[i] * s.decay - p[i]));
        assert.ok(Math.abs(p2[i] - p[i]) <= tolP, `n=${n} p[${i}]: ${p2[i]} vs ${p[i]}`);
        assert.ok(Math.abs(m2[i] - m[i]) <= tolM, `n=${n} m[${i}]: ${m2[i]} vs ${m[i]}`);
        assert.ok(Math.abs(v2[i] - v[i]) <= tolV, `n=${n} v[${i}]: ${v2[i]} vs ${v[i]}`);
      }
    }
  });
}

test('wasm adam is deterministic run to run', async () => {
  await initWasm();
  const r = rng(9), n = 70001;
  const make = () => [Float32Array.from({ length: n }, r), Float32Array.from({ length: n }, r)];
  const [p, g] = make();
  const a = [p.slice(), g, new Float32Array(n), new Float32Array(n)] as const;
  const b = [p.slice(), g, new Float32Array(n), new Float32Array(n)] as const;
  adam(...a, steps[0][1]);
  adam(...b, steps[0][1]);
  assert.deepEqual(a[0], b[0]);
  assert.deepEqual(a[3], b[3]);
});
