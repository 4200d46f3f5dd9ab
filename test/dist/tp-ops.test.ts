/**
 * Tensor- and sequence-parallel pieces on one process (no MPI): with a group of one, f, g and SP's
 * all-gather / reduce-scatter are identities and the vocab-parallel loss is the whole loss, so each
 * is gradient-checked and compared with the plain op; a GPT split over a group of one equals the
 * whole one, loss and gradients; and the cuts a rank of a larger group takes (heads, q/k/v rows,
 * uneven vocabulary halves) and their ShardSpecs are checked without communicating.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, randn, gradcheck, crossEntropy, Generator } from '../../src/engine/index.js';
import { GPT } from '../../src/models/gpt.js';
import { Linear } from '../../src/nn/layers.js';
import { TensorParallel, copyToTensorParallel, reduceFromTensorParallel, type TensorParallelComm } from '../../src/dist/tensor-parallel.js';
import { gatherFromSequenceParallel, reduceScatterToSequenceParallel } from '../../src/dist/sequence-parallel.js';
import { vocabParallelCrossEntropy } from '../../src/dist/tensor-parallel-loss.js';
import { ColumnParallelLinear, RowParallelLinear, shardPlace } from '../../src/dist/tensor-parallel-layers.js';
import { tensorParallelGradNorm, tensorParallelShardSpecs } from '../../src/dist/tensor-parallel-training.js';
import { shardNumel } from '../../src/dist/shard-spec.js';

const gen = new Generator(9);
const param = (shape: number[]) => randn(shape, { generator: gen }).detach().setRequiresGrad();
const one = TensorParallel.single();
const oneSP = TensorParallel.single(true);

function check(name: string, fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  test(`gradcheck on 1 rank: ${name}`, () => {
    const { maxError, worst } = gradcheck(fn, inputs);
    assert.ok(maxError < 2e-2, `${name}: max error ${maxError.toExponential(2)} (${worst})`);
  });
}

check('f (copy to tensor parallel)', (x) => copyToTensorParallel(x, one).mul(x), [param([2, 3, 4])]);
check('g (reduce from tensor parallel)', (x) => reduceFromTensorParallel(x.tanh(), one), [param([1, 17, 3])]);
check('SP all-gather along T', (x) => gatherFromSequenceParallel(x, oneSP).mul(x), [param([3, 5, 2])]);
check('SP reduce-scatter along T', (x) => reduceScatterToSequenceParallel(x.tanh(), oneSP), [param([2, 3, 4])]);
check('vocab-parallel cross-entropy (ignored target, padded columns)', (l) => vocabParallelCrossEntropy(l, new Tensor(Int32Array.of(2, -1, 0, 4, 1, 3), [2, 3]), one, { columns: { start: 0, length: 7 }, vocabSize: 5 }), [param([2, 3, 7])]);

test('vocab-parallel cross-entropy on 1 rank equals cross_entropy, value and gradient', () => {
  const logits = param([3, 5, 17]);
  const t = new Tensor(Int32Array.from({ length: 15 }, (_, i) => (i % 4 === 0 ? -1 : (i * 5) % 17)), [3, 5]);
  const a = crossEntropy(logits, t, { ignoreIndex: -1 });
  a.backward();
  const ga = logits.grad!.floatValues().slice();
  logits.zeroGrad();
  const b = vocabParallelCrossEntropy(logits, t, one, { columns: { start: 0, length: 17 }, vocabSize: 17 });
  b.backward();
  assert.ok(Math.abs(a.item() - b.item()) < 1e-6, `${a.item()} vs ${b.item()}`);
  logits.grad!.floatValues().forEach((g, i) => assert.ok(Math.abs(g - ga[i]) < 1e-7, `grad ${i}: ${g} vs ${ga[i]}`));
  assert.throws(() => vocabParallelCrossEntropy(logits, t.int().float().add(17).int(), one, { columns: { start: 0, length: 17 }, vocabSize: 17 }), /out of range/);
});

for (const sp of [false, true]) {
  test(`GPT split over a group of one${sp ? ' (sequence parallel)' : ''} equals the whole GPT: loss and every gradient`, () => {
    const cfg = { vocabSize: 11, blockSize: 6, nLayer: 2, nHead: 2, nEmbd: 8 };
    const whole = new GPT(cfg, new Generator(4));
    const split = new GPT(cfg, new Generator(4), { parallel: TensorParallel.single(sp) });
    const x = new Tensor(Int32Array.from({ length: 12 }, (_, i) => (i * 5) % 11), [2, 6]);
    const y = new Tensor(Int32Array.from({ length: 12 }, (_, i) => (i * 3 + 1) % 11), [2, 6]);
    const a = whole.forward(x, y).loss!, b = split.forward(x, y).loss!;
    assert.ok(Math.abs(a.item() - b.item()) < 1e-6, `${a.item()} vs ${b.item()}`);
    a.backward();
    b.backward();
    const got = new Map(split.namedParameters());
    assert.deepEqual([...got.keys()], whole.namedParameters().map(([n]) => n), 'the split model keeps the global names in order');
    for (const [name, p] of whole.namedParameters()) {
      const q = got.get(name)!;
      const gp = p.grad!.floatValues(), gq = q.grad!.floatValues();
      gp.forEach((g, i) => assert.ok(Math.abs(g - gq[i]) < 1e-5, `${name}[${i}]: ${gq[i]} vs ${g}`));
    }
    const norm = tensorParallelGradNorm(split.parameters(), TensorParallel.single(sp));
    const want = Math.sqrt(whole.parameters().reduce((s, p) => s + p.grad!.floatValues().reduce((t, g) => t + g * g, 0), 0));
    assert.ok(Math.abs(norm - want) < 1e-4 * want, `grad norm ${norm} vs ${want}`);
    assert.throws(() => split.forward(x), /with targets/);
  });
}

/** A rank of a larger group, for cutting only: any collective fails the test. */
function rankOf(rank: number, size: number): TensorParallel {
  const no = () => { throw new Error('no communication expected'); };
  return new TensorParallel({ rank, size, allReduce: no, allGather: no, reduceScatter: no, waitAll: no } as unknown as TensorParallelComm);
}

test('cuts of rank 1 of 2: c_attn takes the q, k and v rows of its heads; row-parallel the columns; ShardSpecs say so', () => {
  const C = 4;
  const attn = new Linear(C, 3 * C, { generator: gen });
  const col = ColumnParallelLinear.cut(attn, rankOf(1, 2), { start: 2, length: 2 }, 3);
  assert.deepEqual(col.weight.shape, [6, C]);
  const w = attn.weight.tolist() as number[][], got = col.weight.tolist() as number[][];
  assert.deepEqual(got, [w[2], w[3], w[6], w[7], w[10], w[11]]);
  assert.deepEqual(col.bias!.tolist(), [2, 3, 6, 7, 10, 11].map((i) => attn.bias!.floatValues()[i]));
  assert.deepEqual(shardPlace(col.weight), { shape: [12, C], slice: { dim: 1, start: 2, length: 2 }, view: [3, C, C] });
  const proj = new Linear(8, C, { generator: gen });
  const row = RowParallelLinear.cut(proj, rankOf(1, 2), { start: 4, length: 4 });
  assert.deepEqual(row.weight.tolist(), (proj.weight.tolist() as number[][]).map((r) => r.slice(4)));
  assert.equal(shardPlace(row.bias!), undefined, 'the row-parallel bias stays whole');
});

test('a GPT cut for rank 1 of 2: uneven vocabulary halves, heads, ShardSpecs for parameters and Adam moments', () => {
  const cfg = { vocabSize: 65, blockSize: 4, nLayer: 1, nHead: 2, nEmbd: 8 };
  const whole = new GPT(cfg, new Generator(6));
  const split = new GPT(cfg, new Generator(6), { parallel: rankOf(1, 2) });
  const wte = split.namedParameters().find(([n]) => n === 'wte.weight')![1];
  assert.deepEqual(wte.shape, [33, 8]); // rows 32..64
  assert.deepEqual(wte.floatValues(), whole.wte.weight.floatValues().subarray(32 * 8));
  const specs = tensorParallelShardSpecs(split);
  assert.equal(specs.length, 3 * split.namedParameters().length);
  const byName = new Map(specs.map((s) => [s.name, s]));
  assert.deepEqual(byName.get('exp_avg_sq.wte.weight'), { name: 'exp_avg_sq.wte.weight', shape: [65, 8], slice: { dim: 0, start: 32, length: 33 } });
  assert.deepEqual(byName.get('h.0.mlp.c_proj.weight')!.slice, { dim: 1, start: 16, length: 16 });
  assert.equal(byName.get('h.0.ln_1.weight')!.slice, undefined);
  for (const [name, p] of split.namedParameters()) assert.equal(shardNumel(byName.get(name)!), p.numel(), name);
  assert.throws(() => new GPT({ ...cfg, nHead: 1 }, new Generator(6), { parallel: rankOf(0, 2) }), /n_head \(1\) is not divisible by --tp 2/);
});

test('GPT-2 split: padding rows zero on the rank that holds them; on a group of one the loss equals the whole model\'s', async () => {
  const { GPT2 } = await import('../../src/chapters/gpt2/model.js');
  const cfg = { nLayer: 1, nHead: 2, nEmbd: 8, blockSize: 4, vocabSize: 50, paddedVocabSize: 64 };
  const last = new GPT2(cfg, new Generator(3), { parallel: rankOf(1, 2) }); // rows 32..63: 50..63 are padding
  const rows = last.wte.weight.floatValues();
  assert.ok(rows.subarray(0, 18 * 8).some((v) => v !== 0) && rows.subarray(18 * 8).every((v) => v === 0));
  const whole = new GPT2(cfg, new Generator(3)), split = new GPT2(cfg, new Generator(3), { parallel: TensorParallel.single() });
  const x = new Tensor(Int32Array.of(1, 49, 7, 30), [1, 4]), y = new Tensor(Int32Array.of(49, 7, 30, 2), [1, 4]);
  const a = whole.forward(x, y).loss!.item(), b = split.forward(x, y).loss!.item();
  assert.ok(Math.abs(a - b) < 1e-6, `${a} vs ${b}`);
});

test('whole weights load into a split model as the cut of a fresh split model would hold them; a group of one re-assembles them', async () => {
  const { loadWholeIntoTensorParallel, assembleTensorParallel } = await import('../../src/dist/tensor-parallel-training.js');
  const cfg = { vocabSize: 13, blockSize: 4, nLayer: 1, nHead: 2, nEmbd: 8 };
  const whole = new GPT(cfg, new Generator(8));
  const cut = new GPT(cfg, new Generator(8), { parallel: rankOf(1, 2) });
  const loaded = new GPT(cfg, new Generator(99), { parallel: rankOf(1, 2) }); // another init, then the whole weights
  loadWholeIntoTensorParallel(loaded, whole.stateDict() as Record<string, { shape: number[]; data: Float32Array }>);
  const want = new Map(cut.namedParameters());
  for (const [name, p] of loaded.namedParameters()) assert.deepEqual(p.floatValues(), want.get(name)!.floatValues(), name);
  const bad = { ...whole.stateDict(), 'wte.weight': new Tensor(new Float32Array(12 * 8), [12, 8]) };
  assert.throws(() => loadWholeIntoTensorParallel(loaded, bad as Record<string, { shape: number[]; data: Float32Array }>), /'wte.weight' has shape \[12,8\] in the weights but \[13,8\]/);
  const same = assembleTensorParallel(new GPT(cfg, new Generator(8), { parallel: TensorParallel.single() }), TensorParallel.single());
  for (const [name, p] of whole.namedParameters()) assert.deepEqual(same[name].data, p.floatValues(), name);
});
