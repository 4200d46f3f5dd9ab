import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, noGrad, randn, tensor, cat } from '../../../src/index.js';
import { KVCache } from '../../../src/models/gpt.js';
import { Rope } from '../../../src/chapters/transformers/rope.js';
import { MultiHeadLatentAttention } from '../../../src/chapters/transformers/attention.js';
import { buildModel, kvElementsPerToken, type TransformerConfig } from '../../../src/chapters/transformers/model.js';

const base: TransformerConfig = { vocabSize: 11, blockSize: 12, nLayer: 2, nHead: 4, nEmbd: 16, bias: false, attention: 'mha' };
const variants: Partial<TransformerConfig>[] = [
  { attention: 'mha' },
  { attention: 'mha', pos: 'rope' },
  { attention: 'gqa', nKvHead: 2 },
  { attention: 'mqa', pos: 'rope' },
  { attention: 'mla', pos: 'rope', kvRank: 6, qRank: 8, ropeDim: 2 },
];

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function ids(n: number, seed: number): number[] {
  const g = new Generator(seed);
  return Array.from({ length: n }, () => g.randint(0, 11));
}

test('causal mask: changing a future token leaves earlier logits unchanged (every variant)', () => {
  for (const v of variants) {
    const { model } = buildModel({ ...base, ...v }, new Generator(3));
    const a = ids(8, 1), b = [...a];
    b[6] = (b[6] + 1) % 11;
    const la = model.forward(tensor(new Int32Array(a), [1, 8])).logits.values();
    const lb = model.forward(tensor(new Int32Array(b), [1, 8])).logits.values();
    assert.ok(maxDiff(la.subarray(0, 6 * 11), lb.subarray(0, 6 * 11)) < 1e-6, `${v.attention}: past changed`);
    assert.ok(maxDiff(la.subarray(6 * 11), lb.subarray(6 * 11)) > 1e-4, `${v.attention}: the changed position must matter`);
  }
});

test('encoder (bidirectional): a later token changes earlier outputs', () => {
  const { model } = buildModel({ ...base, bidirectional: true }, new Generator(3));
  const a = ids(8, 1), b = [...a];
  b[6] = (b[6] + 1) % 11;
  const la = model.forward(tensor(new Int32Array(a), [1, 8])).logits.values();
  const lb = model.forward(tensor(new Int32Array(b), [1, 8])).logits.values();
  assert.ok(maxDiff(la.subarray(0, 11), lb.subarray(0, 11)) > 1e-5);
});

test('RoPE is a rotation: norms kept, q.k depends only on the offset', () => {
  const rope = new Rope(8, 32);
  const q = randn([1, 8], { generator: new Generator(5) }), k = randn([1, 8], { generator: new Generator(6) });
  const rotAt = (x: typeof q, m: number) => rope.apply(x, m);
  const dot = (m: number, n: number) => rotAt(q, m).mul(rotAt(k, n)).sum().item();
  const norm = (x: typeof q) => Math.sqrt(x.mul(x).sum().item());
  assert.ok(Math.abs(norm(rotAt(q, 7)) - norm(q)) < 1e-5);
  assert.ok(Math.abs(dot(3, 1) - dot(12, 10)) < 1e-4, 'same offset 2, same score');
  assert.ok(Math.abs(dot(5, 5) - dot(0, 0)) < 1e-4);
  assert.ok(Math.abs(dot(3, 1) - dot(3, 2)) > 1e-3, 'different offsets differ');
  // applying to a whole sequence equals applying position by position
  const seq = randn([4, 8], { generator: new Generator(7) });
  const whole = rope.apply(seq, 2).values();
  const parts = cat([0, 1, 2, 3].map((t) => rope.apply(seq.narrow(0, t, 1), 2 + t)), 0).values();
  assert.ok(maxDiff(whole, parts) < 1e-6);
});

test('MLA: the absorbed form equals the explicit form', () => {
  const mla = new MultiHeadLatentAttention({ nEmbd: 16, nHead: 4, kvRank: 6, qRank: 8, ropeDim: 4, blockSize: 12, generator: new Generator(9) });
  const x = randn([2, 7, 16], { generator: new Generator(10) });
  noGrad(() => {
    const a = mla.forwardExplicit(x).values(), b = mla.forwardAbsorbed(x).values();
    assert.ok(maxDiff(a, b) < 1e-5, `diff ${maxDiff(a, b)}`);
  });
});

test('KV cache: incremental decoding gives the full forward logits, for every variant', () => {
  for (const v of variants) {
    const { model, config } = buildModel({ ...base, ...v }, new Generator(4));
    model.eval();
    const seq = ids(10, 2);
    noGrad(() => {
      const full = model.forward(tensor(new Int32Array(seq), [1, 10])).logits.values(); // (1, 10, V)
      const cache = new KVCache(config.nLayer);
      const pre = model.forward(tensor(new Int32Array(seq.slice(0, 4)), [1, 4]), null, { cache }).logits.values();
      assert.ok(maxDiff(pre, full.subarray(0, 4 * 11)) < 1e-5, `${v.attention} prefill`);
      for (let t = 4; t < 10; t++) {
        const step = model.forward(tensor(new Int32Array([seq[t]]), [1, 1]), null, { cache }).logits.values();
        assert.ok(maxDiff(step, full.subarray(t * 11, (t + 1) * 11)) < 1e-4, `${v.attention}${v.pos ? '+' + v.pos : ''} step ${t}: ${maxDiff(step, full.subarray(t * 11, (t + 1) * 11))}`);
      }
      assert.equal(cache.pos, 10);
      assert.equal(cache.bytes(), 4 * 10 * config.nLayer * kvElementsPerToken(config), `${v.attention} cache size`);
    });
  }
});

test('KV cache: cached generation equals uncached generation (greedy)', () => {
  for (const v of variants) {
    const { model, config } = buildModel({ ...base, ...v }, new Generator(8));
    const prompt = tensor(new Int32Array([1, 2, 3]), [1, 3]);
    const a = model.generate(prompt, 8, { topK: 1 }).tolist();
    const b = model.generate(prompt, 8, { topK: 1, cache: new KVCache(config.nLayer) }).tolist();
    assert.deepEqual(b, a, v.attention);
  }
});
