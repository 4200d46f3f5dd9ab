/**
 * A model cut into pipeline stages (models/gpt.ts `layers`), without MPI: the stages' forwards
 * chained by hand give the whole model's loss bit for bit, each stage holds only its part under
 * the global names, and the last stage's head is a copy of the tied embedding (GPT and GPT-2 with
 * its padded vocabulary).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../../src/engine/tensor.js';
import { GPT } from '../../src/models/gpt.js';
import { GPT2 } from '../../src/chapters/gpt2/model.js';
import { stageLayers } from '../../src/dist/pipeline-partition.js';
import { Generator } from '../../src/util/random.js';

function tokens(B: number, T: number, V: number, seed: number): Tensor {
  const g = new Generator(seed);
  return new Tensor(Int32Array.from({ length: B * T }, () => g.randint(0, V)), [B, T]);
}

function chain(stages: GPT[], x: Tensor, y: Tensor): number {
  let h: Tensor = x;
  for (const s of stages.slice(0, -1)) h = s.forwardStage(h).hidden!;
  return stages.at(-1)!.forwardStage(h, y).loss!.item();
}

test('GPT cut into 3 stages: the chained stages give the whole model\'s loss exactly; names stay global', () => {
  const config = { vocabSize: 65, blockSize: 16, nLayer: 5, nHead: 2, nEmbd: 16 };
  const whole = new GPT(config, new Generator(3));
  const stages = [0, 1, 2].map((s) => new GPT(config, new Generator(3), { layers: stageLayers(5, 3, s) }));
  const x = tokens(3, 16, 65, 1), y = tokens(3, 16, 65, 2);
  assert.equal(chain(stages, x, y), whole.forward(x, y).loss!.item());
  assert.deepEqual(stages.map((s) => s.layers), [[0, 2], [2, 4], [4, 5]]);
  const names = stages.map((s) => s.namedParameters().map(([n]) => n));
  assert.ok(names[0].includes('wte.weight') && names[0].includes('wpe.weight') && names[0].includes('h.1.mlp.c_fc.weight') && !names[0].some((n) => n.startsWith('h.2') || n.startsWith('ln_f') || n.startsWith('lm_head')));
  assert.ok(names[1].every((n) => n.startsWith('h.2.') || n.startsWith('h.3.')));
  assert.ok(names[2].includes('lm_head.weight') && names[2].includes('ln_f.weight') && !names[2].includes('wte.weight'));
  const wte = whole.namedParameters().find(([n]) => n === 'wte.weight')![1];
  assert.deepEqual(stages[2].lm_head.weight.data, wte.data, 'the last stage\'s head is a copy of the tied embedding');
  assert.notEqual(stages[2].lm_head.weight, stages[0].wte.weight);
  // the parameters of the stages add up to the model's, the tied weight held twice
  const count = stages.reduce((a, s) => a + s.numParameters(), 0);
  assert.equal(count, whole.numParameters() + wte.numel());
  assert.throws(() => stages[1].forward(x, y), /pipeline stage holding only blocks 2..3/);
  assert.throws(() => new GPT(config, new Generator(3), { layers: [2, 2] }), /non-empty range/);
});

test('GPT-2 with a padded vocabulary cut into 2 stages: the same loss; the padding rows of the head copy are zero', () => {
  const config = { vocabSize: 50, paddedVocabSize: 64, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16 };
  const whole = new GPT2(config, new Generator(5));
  const stages = [0, 1].map((s) => new GPT2(config, new Generator(5), { layers: stageLayers(2, 2, s) }));
  const x = tokens(2, 8, 50, 3), y = tokens(2, 8, 50, 4);
  assert.equal(chain(stages, x, y), whole.forward(x, y).loss!.item());
  const head = stages[1].lm_head.weight.data as Float32Array;
  assert.ok(head.subarray(50 * 16).every((v) => v === 0));
  assert.deepEqual(stages[1].forwardStage(stages[0].forwardStage(x).hidden!).logits!.shape, [2, 8, 50]);
});
