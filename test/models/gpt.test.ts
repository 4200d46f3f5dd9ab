import { test } from 'node:test';
import assert from 'node:assert/strict';
import { models, optim, tensor, Generator, Tensor } from '../../src/index.js';

const cfg = { vocabSize: 5, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16 };

test('GPT: names, tied head, causal logits', () => {
  const gpt = new models.GPT(cfg, new Generator(1));
  const names = gpt.namedParameters().map(([n]) => n);
  assert.equal(names[0], 'wte.weight');
  assert.ok(names.includes('h.1.mlp.c_proj.weight'));
  assert.ok(!names.includes('lm_head.weight'), 'tied head is listed once');
  const a = tensor(new Int32Array([1, 2, 3, 4]), [1, 4]);
  const b = tensor(new Int32Array([1, 2, 3, 0]), [1, 4]);
  const la = gpt.forward(a).logits.values(), lb = gpt.forward(b).logits.values();
  for (let i = 0; i < 3 * 5; i++) assert.ok(Math.abs(la[i] - lb[i]) < 1e-6, 'earlier positions ignore the future');
});

test('GPT: a tiny model learns a repeating sequence', () => {
  const gen = new Generator(2);
  const gpt = new models.GPT(cfg, gen);
  const opt = new optim.AdamW(gpt.parameters(), { lr: 1e-2, weightDecay: 0 });
  const seq = [0, 1, 2, 3, 4, 0, 1, 2, 3];
  const x = tensor(new Int32Array(seq.slice(0, 8)), [1, 8]);
  const y = tensor(new Int32Array(seq.slice(1, 9)), [1, 8]);
  let first = 0, last = 0;
  for (let i = 0; i < 60; i++) {
    const { loss } = gpt.forward(x, y);
    if (i === 0) first = loss!.item();
    last = loss!.item();
    opt.zeroGrad();
    loss!.backward();
    opt.step();
  }
  assert.ok(last < 0.1 && first > 1, `loss ${first} -> ${last}`);
  const out: Tensor = gpt.generate(tensor(new Int32Array([0]), [1, 1]), 6, { topK: 1, generator: gen });
  assert.deepEqual(out.tolist(), [[0, 1, 2, 3, 4, 0, 1]]);
});
