/**
 * The native backend's fused kernels. The linear layer (bias as the GEMM's start) against
 * matmul + add on the reference backend, on awkward shapes, with gradient checks. The fused
 * self-attention (selfAttention and its backward) against the
 * reference loops (backends/reference/attention.ts) on awkward shapes, causal and not; the
 * engine op's gradients by finite differences; and nn.SelfAttention giving the same output and
 * gradients through the fused kernels (native) as through the composed path (reference backend).
 * Skips, saying why, where the addon is not built.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBackend, withBackend } from '../../src/engine/device.js';
import { nativeBuilt, NOT_BUILT } from '../../src/backends/native/index.js';
import { referenceBackend } from '../../src/backends/reference/index.js';
import * as oracle from '../../src/backends/reference/attention.js';
import { selfAttention } from '../../src/engine/ops/attention.js';
import { linear } from '../../src/engine/ops/linear.js';
import { gradcheck } from '../../src/engine/gradcheck.js';
import { Tensor } from '../../src/engine/tensor.js';
import { close, rand } from './fused-helpers.js';
import { SelfAttention } from '../../src/nn/attention.js';
import { Generator } from '../../src/util/random.js';

const skip = nativeBuilt() ? false : `skipped: ${NOT_BUILT}`;
if (skip) console.log(`# native-fused: ${skip}`);

// (B, T, nh, hs): T over the awkward sizes, 1025 with one small head so the oracle stays quick
const SHAPES: [number, number, number, number][] = [[1, 1, 1, 1], [2, 3, 3, 5], [3, 17, 2, 16], [1, 65, 4, 8], [2, 127, 1, 3], [1, 1025, 1, 2]];

test('native selfAttention and its backward match the reference loops on awkward shapes, causal and not', { skip }, () => {
  const N = loadBackend('native');
  for (const [B, T, nh, hs] of SHAPES) {
    for (const causal of [true, false]) {
      const C = nh * hs, what = `B ${B} T ${T} nh ${nh} hs ${hs}${causal ? ' causal' : ''}`;
      const qkv = rand(B * T * 3 * C, T * 7 + hs, 2), dy = rand(B * T * C, T + 3);
      const scale = 1 / Math.sqrt(hs);
      const [y, att, y0, att0] = [B * T * C, B * nh * T * T, B * T * C, B * nh * T * T].map((n) => new Float32Array(n).fill(NaN));
      N.selfAttention!(qkv, B, T, nh, hs, scale, causal, y, att);
      oracle.selfAttention(qkv, B, T, nh, hs, scale, causal, y0, att0);
      close(att, att0, 2e-6, `att ${what}`);
      close(y, y0, 2e-6, `y ${what}`);
      const [d, d0] = [0, 1].map(() => new Float32Array(B * T * 3 * C).fill(NaN));
      N.selfAttentionBackward!(dy, qkv, att0, B, T, nh, hs, scale, d);
      oracle.selfAttentionBackward(dy, qkv, att0, B, T, nh, hs, scale, d0);
      close(d, d0, 1e-5, `dqkv ${what}`);
    }
  }
});

test('the fused selfAttention op passes the gradient check on the native backend', { skip }, () => {
  withBackend(loadBackend('native'), () => {
    for (const [B, T, nh, hs, causal] of [[2, 5, 2, 3, true], [1, 4, 3, 2, false]] as const) {
      const qkv = new Tensor(rand(B * T * 3 * nh * hs, 11 + T), [B, T, 3 * nh * hs]).setRequiresGrad();
      const { maxError, worst } = gradcheck((x) => selfAttention(x, nh, causal).y, [qkv], { eps: 1e-2 });
      assert.ok(maxError < 2e-2, worst);
    }
  });
});

test('nn.SelfAttention: the fused path (native) gives the composed path\'s output and gradients (reference)', { skip }, () => {
  for (const causal of [true, false]) {
    const [B, T, C, nh] = [3, 17, 24, 4];
    const run = (backendName: string) => withBackend(backendName === 'native' ? loadBackend('native') : referenceBackend, () => {
      const m = new SelfAttention(C, nh, { causal, generator: new Generator(5) });
      const x = new Tensor(rand(B * T * C, 9), [B, T, C]).setRequiresGrad();
      const y = m.forward(x);
      y.mul(new Tensor(rand(B * T * C, 21), [B, T, C])).sum().backward();
      return { y: y.floatValues(), dx: x.grad!.floatValues(), dw: m.c_attn.weight.grad!.floatValues() };
    });
    const fused = run('native'), composed = run('reference');
    close(fused.y, composed.y, 1e-5, `y${causal ? ' causal' : ''}`);
    close(fused.dx, composed.dx, 1e-5, `dx${causal ? ' causal' : ''}`);
    close(fused.dw, composed.dw, 1e-5, `dW c_attn${causal ? ' causal' : ''}`);
  }
});

test('native linear matches matmul + bias on the reference backend on awkward shapes, forward and backward', { skip }, () => {
  for (const rows of [1, 3, 17, 65, 127, 1025]) {
    for (const [k, n] of [[1, 1], [3, 17], [65, 3], [127, 65]]) {
      const run = (native: boolean) => withBackend(native ? loadBackend('native') : referenceBackend, () => {
        const x = new Tensor(rand(rows * k, rows + k), [rows, k]).setRequiresGrad();
        const w = new Tensor(rand(n * k, n), [n, k]).setRequiresGrad();
        const b = new Tensor(rand(n, 3 * n), [n]).setRequiresGrad();
        const y = native ? linear(x, w, b) : x.matmul(w.T).add(b);
        y.mul(new Tensor(rand(rows * n, 5), [rows, n])).sum().backward();
        return [y, x.grad!, w.grad!, b.grad!].map((t) => t.floatValues());
      });
      const got = run(true), want = run(false);
      // dW and db are sums over the rows in float32, in another order than the reference's
      ['y', 'dx', 'dW', 'db'].forEach((name, i) => close(got[i], want[i], i < 2 ? 1e-5 : 1e-4, `${name} rows ${rows} k ${k} n ${n}`));
    }
  }
});

test('the fused linear op passes the gradient check on the native backend, batched input included', { skip }, () => {
  withBackend(loadBackend('native'), () => {
    const x = new Tensor(rand(2 * 3 * 5, 1), [2, 3, 5]).setRequiresGrad();
    const w = new Tensor(rand(4 * 5, 2), [4, 5]).setRequiresGrad();
    const b = new Tensor(rand(4, 3), [4]).setRequiresGrad();
    const { maxError, worst } = gradcheck((xx, ww, bb) => linear(xx, ww, bb), [x, w, b]);
    assert.ok(maxError < 2e-2, worst);
  });
});
