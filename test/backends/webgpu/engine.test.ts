/**
 * The engine on the webgpu backend: gradient checks (every op's backward against finite
 * differences, with tensors living on the device between ops), and training steps of a tiny GPT
 * whose losses and final parameters equal the reference backend's within float32 tolerance. The
 * latter fails if any host access to storage misses the sync (a stale read changes the numbers),
 * or if a step reads back more than the loss and the clipping norm.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Tensor, randn, rand, randperm, gradcheck, attentionSoftmax, crossEntropy, layerNorm, embedding, cat, where, maskedFill, tril, tensor, Generator, gather,
} from '../../../src/engine/index.js';
import { referenceBackend } from '../../../src/backends/reference/index.js';
import { withBackend } from '../../../src/engine/device.js';
import { conv2d } from '../../../src/engine/ops/conv.js';
import { avgPool2d, maxPool2d } from '../../../src/engine/ops/pool.js';
import { batchNormChannels } from '../../../src/engine/ops/batchnorm.js';
import { gpuBackendOrSkip } from './backend-harness.js';
import { tinyGptDifferences, trainTinyGpt } from './tiny-gpt-check.js';
import { trainTinyCnn } from './tiny-cnn-check.js';

const gen = new Generator(7);
const param = (shape: number[], scale = 1) => randn(shape, { generator: gen }).mul(scale).detach().setRequiresGrad();
const positive = (shape: number[]) => rand(shape, { generator: gen }).add(0.5).detach().setRequiresGrad();

test('gradient checks on the webgpu backend', (t) => {
  const gpu = gpuBackendOrSkip(t);
  if (!gpu) return;
  const cases: [string, (...xs: Tensor[]) => Tensor, () => Tensor[]][] = [
    ['add/mul broadcast', (a, b) => a.add(b).mul(b), () => [param([3, 4]), param([4])]],
    ['div, pow, exp, log', (a, b) => a.div(b).pow(2).add(b.log()).exp(), () => [param([5], 0.3), positive([5])]],
    ['tanh, sigmoid, gelu, abs', (a) => a.tanh().add(a.sigmoid()).add(a.gelu()).add(a.abs()), () => [param([7])]],
    ['sum, mean, max over dims', (a) => a.sum([0, 2], true).add(a.mean(1).sum()).add(a.max(1).sum()), () => [param([2, 3, 4])]],
    ['softmax, log_softmax', (a) => a.softmax(-1).mul(a.logSoftmax(0)), () => [param([3, 5])]],
    ['matmul batched, transposed view', (a, b) => a.matmul(b.transpose(-2, -1)), () => [param([2, 3, 4]), param([2, 5, 4])]],
    ['layer_norm', (x, w, b) => layerNorm(x, w, b), () => [param([3, 6]), param([6]), param([6])]],
    ['attention softmax (causal)', (s) => attentionSoftmax(s, 0.5, true), () => [param([2, 3, 3])]],
    ['cross_entropy', (x) => crossEntropy(x, tensor([2, 0, 4], { dtype: 'int32' })), () => [param([3, 5])]],
    ['embedding (repeated rows)', (w) => embedding(w, tensor([1, 3, 1, 0], { dtype: 'int32' })), () => [param([4, 3])]],
    ['gather', (a) => gather(a, 1, tensor([[0, 2], [1, 1]], { dtype: 'int32' })), () => [param([2, 3])]],
    ['cat, narrow, permute', (a, b) => cat([a, b], 1).narrow(1, 1, 3).permute(1, 0).contiguous(), () => [param([2, 2]), param([2, 3])]],
    ['conv2d (padding, stride), the window kernels', (x, w, b) => conv2d(x, w, b, { padding: 1, stride: 2 }), () => [param([1, 2, 5, 5]), param([3, 2, 3, 3]), param([3])]],
    ['conv2d grouped (the weight and columns as subarrays)', (x, w, b) => conv2d(x, w, b, { padding: 1, groups: 2 }), () => [param([2, 4, 3, 3]), param([4, 2, 3, 3]), param([4])]],
    // distinct values 0.1 apart: no window's max is within the finite difference of a tie
    ['max and average pooling', (x) => maxPool2d(x, 2).add(avgPool2d(x, 2, { padding: 1 }).narrow(2, 0, 2).narrow(3, 0, 2)),
      () => [randperm(32, { generator: gen }).float().mul(0.1).reshape([1, 2, 4, 4]).detach().setRequiresGrad()]],
    ['batch norm over channels', (x, w, b) => batchNormChannels(x, null, null, w, b, true, 0.1, 1e-5), () => [param([2, 3, 2, 2]), param([3]), param([3])]],
    ['where, masked_fill', (a) => maskedFill(where(a.gt(0), a.mul(2), a), tril(tensor([[1, 1], [1, 1]])).eq(0), 0), () => [param([3, 2, 2])]],
  ];
  withBackend(gpu, () => {
    for (const [name, fn, inputs] of cases) {
      const { maxError, worst } = gradcheck(fn, inputs());
      assert.ok(maxError < 2e-2, `${name}: max error ${maxError.toExponential(2)} (${worst})`);
    }
  });
});

/**
 * What a step may read back: the clipping norm and the loss, one float each. A host loop or a
 * float64 interface that crept back into the step (cross-entropy, clipping, a backward rule)
 * would read more and fail this.
 */
function assertTwoReadsPerStep(reads: { count: number; bytes: number }[], what: string): void {
  reads.forEach(({ count, bytes }, s) => {
    assert.ok(count <= 2 && bytes <= 8, `${what}, step ${s}: ${count} read-backs of ${bytes} bytes (at most the loss and the gradient norm expected)`);
  });
}

test('a tiny GPT trains on webgpu with the reference backend\'s losses and parameters, reading back only the loss and the norm', (t) => {
  const gpu = gpuBackendOrSkip(t);
  if (!gpu) return;
  // with dropout the attention is composed (matmuls, the scaled softmax and its backward, the mask's multiply)
  for (const [steps, dropout] of [[3, 0], [2, 0.1]]) {
    const want = trainTinyGpt(referenceBackend, steps, dropout), got = trainTinyGpt(gpu, steps, dropout);
    assert.deepEqual(tinyGptDifferences(want, got), [], `dropout ${dropout}`);
    assertTwoReadsPerStep(got.reads, `dropout ${dropout}`);
  }
});

test('a tiny CNN (conv, batch norm, pooling, linear) trains on webgpu with the reference backend\'s losses, parameters, running statistics and eval logits, reading back only the loss and the norm', (t) => {
  const gpu = gpuBackendOrSkip(t);
  if (!gpu) return;
  const want = trainTinyCnn(referenceBackend, 3), got = trainTinyCnn(gpu, 3);
  assert.deepEqual(tinyGptDifferences(want, got), []);
  assertTwoReadsPerStep(got.reads, 'tiny CNN');
});
