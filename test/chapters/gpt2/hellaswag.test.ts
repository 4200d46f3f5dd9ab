import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator, Tensor, crossEntropy } from '../../../src/index.js';
import { GPT2 } from '../../../src/chapters/gpt2/model.js';
import { gpt2Tokenizer } from '../../../src/chapters/gpt2/gpt2_tokenizer.js';
import { evaluateHellaSwag, readHellaSwag, renderExample, scoreExample, type HellaSwagExample } from '../../../src/chapters/gpt2/hellaswag.js';

const tok = gpt2Tokenizer();
const model = new GPT2({ nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 32, vocabSize: 50257, paddedVocabSize: 50304 }, new Generator(5));
const examples: HellaSwagExample[] = [
  { ctx: 'A man is sitting on a roof. He', endings: ['is using wrap to wrap a pair of skis.', 'is ripping level tiles off.', "is holding a rubik's cube.", 'starts pulling up roofing on a roof.'], label: 3 },
  { ctx: 'The cat', endings: ['sat.', 'sat on the mat and purred loudly all afternoon.', 'flew', 'is a cat'], label: 0 },
  { ctx: 'Pour the water into the glass, then', endings: ['drink it.', 'drink', 'it drinks you.', 'the glass is water.'], label: 1 },
];

test('hellaswag: rows are context + " " + ending, the mask covers exactly the ending', () => {
  const { tokens, mask } = renderExample(tok, examples[1], 32);
  const ctx = tok.encode('The cat');
  assert.deepEqual(tokens[0], [...ctx, ...tok.encode(' sat.')]);
  assert.deepEqual(mask[0], [0, 0, 1, 1]);
  // too long for the context: the oldest context tokens are dropped, the ending kept
  const cut = renderExample(tok, examples[1], 5);
  assert.equal(cut.tokens[1].length, 5);
  assert.deepEqual(cut.mask[1], [1, 1, 1, 1, 1]);
});

test('hellaswag: losses are the cross-entropy of the ending tokens; predictions take the minimum', () => {
  for (const ex of examples) {
    const s = scoreExample(model, tok, ex);
    const { tokens, mask } = renderExample(tok, ex, 32);
    tokens.forEach((row, i) => {
      // independent check: the model on this row alone (no padding), cross-entropy with context targets ignored
      const x = new Tensor(Int32Array.from(row.slice(0, -1)), [1, row.length - 1]);
      const y = new Tensor(Int32Array.from(row.slice(1).map((t, j) => (mask[i][j + 1] ? t : -1))), [1, row.length - 1]);
      const n = mask[i].filter(Boolean).length;
      const ce = crossEntropy(model.forward(x).logits, y, { ignoreIndex: -1 }).item();
      assert.ok(Math.abs(s.avgLoss[i] - ce) < 1e-4, `avg ${s.avgLoss[i]} vs ${ce}`);
      assert.ok(Math.abs(s.sumLoss[i] - ce * n) < 1e-3);
    });
    assert.equal(s.predNorm, s.avgLoss.indexOf(Math.min(...s.avgLoss)));
    assert.equal(s.pred, s.sumLoss.indexOf(Math.min(...s.sumLoss)));
  }
});

test('hellaswag: accuracy counts, and the JSONL reader checks its fields', () => {
  const preds = examples.map((ex) => scoreExample(model, tok, ex));
  const r = evaluateHellaSwag(model, tok, examples);
  assert.equal(r.n, 3);
  assert.equal(r.accNorm, preds.filter((p, i) => p.predNorm === examples[i].label).length / 3);
  assert.equal(r.acc, preds.filter((p, i) => p.pred === examples[i].label).length / 3);
  const dir = mkdtempSync(join(tmpdir(), 'hs-'));
  try {
    writeFileSync(join(dir, 'ok.jsonl'), examples.map((e) => JSON.stringify({ ind: 1, ...e })).join('\n') + '\n');
    assert.deepEqual(readHellaSwag(join(dir, 'ok.jsonl')).map((e) => e.label), [3, 0, 1]);
    writeFileSync(join(dir, 'bad.jsonl'), JSON.stringify({ ctx: 'x', endings: ['a', 'b'] }) + '\n');
    assert.throws(() => readHellaSwag(join(dir, 'bad.jsonl')), /line 1 needs "ctx".*"label"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
