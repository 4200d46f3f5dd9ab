import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nn, randn, tensor, Generator, GradpathError } from '../../src/index.js';

class Block extends nn.Module {
  ln_1 = new nn.LayerNorm(8);
  attn = new nn.CausalSelfAttention(8, 2, { generator: new Generator(1) });
  forward(x: ReturnType<typeof randn>) { return x.add(this.attn.forward(this.ln_1.forward(x))); }
}
class Tiny extends nn.Module {
  wte = new nn.Embedding(5, 8);
  h = [new Block(), new Block()];
  bn = new nn.BatchNorm1d(8);
}

test('parameters get dotted PyTorch-style names; buffers are in the state dict', () => {
  const m = new Tiny();
  const names = m.namedParameters().map(([n]) => n);
  assert.deepEqual(names.slice(0, 5), ['wte.weight', 'h.0.ln_1.weight', 'h.0.ln_1.bias', 'h.0.attn.c_attn.weight', 'h.0.attn.c_attn.bias']);
  assert.ok(names.includes('h.1.attn.c_proj.weight'));
  const sd = m.stateDict();
  assert.ok('bn.running_mean' in sd && 'bn.running_var' in sd);
  assert.ok(!names.includes('bn.running_mean'));
  assert.deepEqual(sd['h.0.attn.c_attn.weight'].shape, [24, 8]);
});

test('load_state_dict checks names and shapes', () => {
  const a = new Tiny(), b = new Tiny();
  b.loadStateDict(Object.fromEntries(Object.entries(a.stateDict()).map(([k, t]) => [k, { shape: t.shape, data: t.values() }])));
  assert.deepEqual(Array.from(b.wte.weight.values()), Array.from(a.wte.weight.values()));
  assert.throws(() => b.loadStateDict({ 'wte.weight': { shape: [4, 8], data: new Float32Array(32) } }, false), (e: Error) => e instanceof GradpathError && /'wte.weight' has shape \[4, 8\] in the checkpoint but \[5, 8\]/.test(e.message));
  assert.throws(() => b.loadStateDict({}), /missing tensor 'wte.weight'/);
});

test('causal attention: changing a future token does not change earlier outputs', () => {
  const attn = new nn.CausalSelfAttention(8, 2, { generator: new Generator(2) });
  const x = randn([1, 5, 8], { generator: new Generator(3) });
  const y1 = attn.forward(x).values();
  const x2 = x.values().slice();
  for (let c = 0; c < 8; c++) x2[4 * 8 + c] += 1; // change the last position
  const y2 = attn.forward(tensor(x2 as Float32Array, [1, 5, 8])).values();
  for (let i = 0; i < 4 * 8; i++) assert.ok(Math.abs(y1[i] - y2[i]) < 1e-6);
  assert.ok(Math.abs(y1[4 * 8] - y2[4 * 8]) > 1e-6);
  // the bidirectional version does see the future
  const enc = new nn.SelfAttention(8, 2, { causal: false, generator: new Generator(2) });
  const e1 = enc.forward(x).values(), e2 = enc.forward(tensor(x2 as Float32Array, [1, 5, 8])).values();
  assert.ok(Math.abs(e1[0] - e2[0]) > 1e-7);
});

test('BatchNorm1d: running stats in train mode, used in eval mode', () => {
  const bn = new nn.BatchNorm1d(2);
  const x = tensor([[1, 10], [3, 30]]);
  bn.forward(x);
  assert.deepEqual(Array.from(bn.running_mean.values()).map((v) => +v.toFixed(4)), [0.2, 2]);
  bn.eval();
  const y = bn.forward(x);
  assert.equal(y.shape.join(), '2,2');
});
