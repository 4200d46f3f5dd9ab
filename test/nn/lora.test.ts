import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, gradcheck, Generator } from '../../src/engine/index.js';
import { Linear, LoRALinear, freeze, Sequential } from '../../src/nn/index.js';
import { GradpathError } from '../../src/util/errors.js';

test('LoRALinear starts as the layer it wraps, and trains only its two low-rank factors', () => {
  const gen = new Generator(5);
  const base = new Linear(17, 3, { generator: gen });
  const x = randn([4, 17], { generator: gen }); // (B, in)
  const before = base.forward(x).floatValues();
  const lora = new LoRALinear(base, 2, { alpha: 4, generator: gen });
  assert.deepEqual(Array.from(lora.forward(x).floatValues()), Array.from(before)); // B = 0: no change yet
  assert.deepEqual(lora.namedParameters().map(([n, p]) => [n, p.shape]), [['lora_A', [2, 17]], ['lora_B', [3, 2]]]);
  // the frozen weight and bias stay in the state dict under the Linear's names
  assert.deepEqual(Object.keys(lora.stateDict()).sort(), ['bias', 'lora_A', 'lora_B', 'weight']);
  assert.equal(lora.scaling, 2);
  lora.forward(x).sum().backward();
  assert.equal(lora.weight.grad, null);
  assert.ok(lora.lora_B.grad && lora.lora_B.grad.floatValues().some((v) => v !== 0));
});

test('LoRALinear: gradients of the input and of both factors match finite differences (awkward shapes, with and without bias)', () => {
  for (const [inF, outF, rank, bias] of [[1, 3, 1, true], [17, 5, 3, false], [65, 2, 4, true]] as const) {
    const gen = new Generator(inF + outF);
    const lora = new LoRALinear(new Linear(inF, outF, { bias, generator: gen }), rank, { alpha: 2 * rank, generator: gen });
    lora.lora_B = randn([outF, rank], { generator: gen }).mul(0.5).detach().setRequiresGrad(); // nonzero, so A's gradient is too
    const x = randn([3, 2, inF], { generator: gen }).setRequiresGrad(); // (B, T, in)
    const { maxError, worst } = gradcheck((xi, a, b) => {
      lora.lora_A = a;
      lora.lora_B = b;
      return lora.forward(xi); // (B, T, out)
    }, [x, lora.lora_A, lora.lora_B]);
    assert.ok(maxError < 2e-2, `in ${inF} out ${outF} rank ${rank}: ${worst}`);
  }
});

test('freeze takes every parameter out of training; a bad rank is one clear error', () => {
  const gen = new Generator(1);
  const net = new Sequential(new Linear(3, 4, { generator: gen }), new Linear(4, 2, { generator: gen }));
  freeze(net);
  assert.equal(net.parameters().length, 0);
  assert.throws(() => new LoRALinear(new Linear(3, 4), 0), (e: unknown) => e instanceof GradpathError && /rank must be a positive integer/.test(e.message));
});
