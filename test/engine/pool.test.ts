import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool, Generator, randint, models, optim, nn, randn, embedding, crossEntropy, Tensor } from '../../src/index.js';
import { floats, MIN_POOLED } from '../../src/engine/pool.js';

test('BufferPool: recycles by size, zero-fills, keeps kept buffers across reset', () => {
  const pool = new BufferPool();
  const n = MIN_POOLED + 3;
  const a = pool.run(() => floats(n));
  a.fill(7);
  const kept = pool.run(() => floats(n));
  kept.fill(5);
  pool.keep(kept);
  pool.reset();
  const b = pool.run(() => floats(n));
  assert.equal(b, a, 'the reset buffer comes back');
  assert.ok(b.every((v) => v === 0), 'and comes back zeroed');
  const c = pool.run(() => floats(n));
  assert.notEqual(c, kept, 'a kept buffer is not handed out again');
  assert.ok(kept.every((v) => v === 5));
  pool.give(kept);
  assert.equal(pool.run(() => floats(n)), kept, 'until it is given back');
  pool.give(new Float32Array(n)); // not the pool's: ignored
  assert.notEqual(floats(n), a, 'no active pool: plain new arrays');
  assert.ok(pool.run(() => floats(7)) instanceof Float32Array); // small: not pooled
});

/** Trains a small GPT for a few steps; returns the losses and the final parameters. */
function train(usePool: boolean, steps = 3): { losses: number[]; params: Float32Array[] } {
  const gen = new Generator(5);
  const model = new models.GPT({ vocabSize: 67, blockSize: 17, nLayer: 2, nHead: 2, nEmbd: 64 }, gen);
  const opt = new optim.AdamW(model.parameters(), { lr: 1e-2 });
  const pool = new BufferPool();
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const x = randint(0, 67, [3, 17], { generator: gen }), y = randint(0, 67, [3, 17], { generator: gen });
    const step = () => {
      const { loss } = model.forward(x, y);
      opt.zeroGrad();
      loss!.backward();
      opt.step();
      losses.push(loss!.item());
    };
    if (usePool) {
      pool.run(step);
      pool.reset();
    } else step();
  }
  return { losses, params: model.parameters().map((p) => (p.data as Float32Array).slice()) };
}

test('training in a BufferPool is bit-for-bit the same as without one', () => {
  const plain = train(false), pooled = train(true);
  assert.deepEqual(pooled.losses, plain.losses);
  pooled.params.forEach((p, i) => assert.deepEqual(p, plain.params[i]));
});

test('Linear weight gradients arrive contiguous, equal to g^T x', () => {
  const gen = new Generator(2);
  const lin = new nn.Linear(17, 65, { bias: false, generator: gen });
  const x = randn([3, 5, 17], { generator: gen });
  const g = randn([3, 5, 65], { generator: gen });
  lin.forward(x).backward(g);
  const dw = lin.weight.grad!;
  assert.ok(dw.isContiguous());
  assert.deepEqual(dw.shape, [65, 17]);
  const xv = x.floatValues(), gv = g.floatValues(), d = dw.floatValues();
  for (let o = 0; o < 65; o++) for (let i = 0; i < 17; i++) {
    let s = 0;
    for (let r = 0; r < 15; r++) s += gv[r * 65 + o] * xv[r * 17 + i];
    assert.ok(Math.abs(d[o * 17 + i] - s) < 1e-4, `dW[${o}][${i}] = ${d[o * 17 + i]}, want ${s}`);
  }
});

test('a tied embedding + head gradient (scatter-added in place) matches the sum of its parts', () => {
  const gen = new Generator(3);
  const w = randn([127, 3], { generator: gen }).setRequiresGrad();
  const idx = randint(0, 127, [2, 65], { generator: gen });
  const y = randint(0, 127, [2, 65], { generator: gen });
  const loss = () => crossEntropy(embedding(w, idx).matmul(w.T), y);
  loss().backward();
  const both = w.grad!.floatValues().slice();
  // the same gradient from two graphs, each using w once
  const head = new Tensor(w.data, w.shape).setRequiresGrad(), emb = new Tensor(w.data, w.shape).setRequiresGrad();
  crossEntropy(embedding(emb, idx).matmul(head.T), y).backward();
  const sum = head.grad!.floatValues().map((v, i) => v + emb.grad!.floatValues()[i]);
  both.forEach((v, i) => assert.ok(Math.abs(v - sum[i]) < 1e-6, `grad[${i}] = ${v}, want ${sum[i]}`));
});

test('backward never writes into or recycles a gradient the caller passed in', () => {
  const pool = new BufferPool();
  const x = randn([MIN_POOLED], { generator: new Generator(4) }).setRequiresGrad();
  const g = pool.run(() => floats(MIN_POOLED).fill(1));
  const gv = new Tensor(g, [MIN_POOLED]);
  pool.run(() => {
    const y = x.reshape(MIN_POOLED);
    y.add(y).backward(gv);
  });
  assert.ok(g.every((v) => v === 1));
  assert.ok(x.grad!.floatValues().every((v) => v === 2));
});
