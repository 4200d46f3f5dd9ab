import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBPE, saveBPE, trainBPE, trainedTokenizer } from '../../../src/chapters/gpt2/bpe_train.js';

const bytes = (s: string) => [...Buffer.from(s)];

test('bpe train: the Wikipedia example "aaabdaaabac" merges aa, then (aa)a, then (aaa)b', () => {
  // pair counts: aa x4 -> 256. Then (256,a) and (a,b) both occur twice: the tie goes to the pair
  // seen first in the text, (256,a) -> 257. Then (257,b) x2 -> 258: the text is X d X a c.
  const t = trainBPE('aaabdaaabac', 256 + 3, { pattern: null });
  const a = 97, b = 98, c = 99, d = 100;
  assert.deepEqual(t.merges, [[a, a], [256, a], [257, b]]);
  assert.deepEqual(t.counts, [4, 2, 2]);
  const tok = trainedTokenizer(t);
  assert.deepEqual(tok.encode('aaabdaaabac'), [258, d, 258, a, c]);
  assert.equal(tok.decode([258, d]), 'aaabd');
});

test('bpe train: with the GPT-2 pre-split merges never cross a word boundary', () => {
  // pieces: "hug" x1, " hug" x2, " pug" x1, " bug" x1 (GPT-2 split keeps the space on the word)
  const t = trainBPE('hug hug hug pug bug', 256 + 3, { pattern: 'gpt2' });
  const [sp, h, u, g, p, b] = bytes(' hugpb');
  // counts: (u,g) 5; then (' ',h)=2, (' ',p)=1, (' ',b)=1, (h,256)=3 -> (h, ug) first; then (' ', hug) 2
  assert.deepEqual(t.merges, [[u, g], [h, 256], [sp, 257]]);
  assert.deepEqual(t.counts, [5, 3, 2]);
  const tok = trainedTokenizer(t);
  assert.deepEqual(tok.encode('hug hug pug'), [257, 258, sp, p, 256]);
  assert.ok(!t.merges.some(([l, r]) => l === g && r === sp), 'no merge across "g" and " "');
  void b;
});

test('bpe train: special tokens, save/load round trip, any text round-trips', () => {
  const text = 'the cat sat on the mat. the cat ate. 🙂 ok\n\n'.repeat(5);
  const t = trainBPE(text, 270, { pattern: 'gpt4', specialTokens: ['<|endoftext|>'] });
  assert.equal(t.merges.length, 270 - 256 - 1);
  assert.deepEqual(t.specialTokens, { '<|endoftext|>': 269 });
  const dir = mkdtempSync(join(tmpdir(), 'bpe-'));
  try {
    saveBPE(join(dir, 't.json'), t);
    const tok = loadBPE(join(dir, 't.json'));
    assert.deepEqual(tok.encode(text), trainedTokenizer(t).encode(text));
    const ids = tok.encode('the mat<|endoftext|>unseen ünïcode 東京');
    assert.ok(ids.includes(269));
    assert.equal(tok.decode(ids), 'the mat<|endoftext|>unseen ünïcode 東京');
    assert.ok(tok.encode('the cat').length < bytes('the cat').length, 'merges compress');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
