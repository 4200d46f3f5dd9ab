import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GradpathError } from '../../../src/util/errors.js';
import { gpt2Tokenizer, EOT } from '../../../src/chapters/gpt2/gpt2_tokenizer.js';
import { generatedText } from '../../../src/cli/bench/bpe.js';
import { prepareShards, readShard, safeCut, ShardLoader, shardFiles, writeShard } from '../../../src/chapters/gpt2/data.js';

const dir = mkdtempSync(join(tmpdir(), 'gpt2-data-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const tok = gpt2Tokenizer();

test('shards: round trip, and a wrong magic, version or length names the file and the problem', () => {
  const path = join(dir, 'a.bin');
  const tokens = Uint16Array.from([EOT, 15496, 995, 0, 65535]);
  writeShard(path, tokens);
  const bytes = readFileSync(path);
  assert.equal(bytes.length, 1024 + 10);
  assert.deepEqual(Array.from(new Int32Array(bytes.buffer, bytes.byteOffset, 3)), [20240520, 1, 5]);
  assert.deepEqual(readShard(path), tokens);

  const bad = (name: string, mutate: (b: Buffer) => Buffer, re: RegExp) => {
    writeFileSync(join(dir, name), mutate(Buffer.from(bytes)));
    assert.throws(() => readShard(join(dir, name)), (e: Error) => e instanceof GradpathError && e.message.includes(name) && re.test(e.message), name);
  };
  bad('magic.bin', (b) => (b.writeInt32LE(20240326, 0), b), /bad magic number 20240326/);
  bad('version.bin', (b) => (b.writeInt32LE(2, 4), b), /unsupported version 2/);
  bad('trunc.bin', (b) => b.subarray(0, b.length - 3), /says 5 tokens.*truncated/);
  bad('long.bin', (b) => Buffer.concat([b, Buffer.alloc(2)]), /trailing data/);
  bad('short.bin', (b) => b.subarray(0, 100), /shorter than the 1024-byte header/);
});

test('safeCut: encoding the two sides separately gives the same tokens', () => {
  const texts = ['hello world\n\n  foo', 'a  \n\n\tb', "it's   'tis", '東京 は\u3000日本', 'x!!! ??? 12 34', 'end   '];
  for (const t of texts) {
    for (let end = 1; end <= t.length; end++) {
      const s = t.slice(0, end), cut = safeCut(s);
      if (cut < 0) continue;
      assert.deepEqual([...tok.encode(s.slice(0, cut)), ...tok.encode(s.slice(cut))], tok.encode(s), JSON.stringify([s, cut]));
    }
  }
});

test('prepare: streaming in tiny chunks gives the same tokens as encoding each file whole', () => {
  const a = generatedText(6000) + '\n\n   trailing spaces   \n', b = 'Second document: ünïcödé 🙂 across chunk edges.\n\n\nEnd.';
  writeFileSync(join(dir, 'a.txt'), a);
  writeFileSync(join(dir, 'b.txt'), b);
  const out = join(dir, 'shards');
  const { files, tokens } = prepareShards([join(dir, 'a.txt'), join(dir, 'b.txt')], out, tok, { shardTokens: 500, valTokens: 300, chunkBytes: 37 });
  const expected = [EOT, ...tok.encode(a), EOT, ...tok.encode(b)];
  assert.equal(tokens, expected.length);
  const val = shardFiles(out, 'val'), train = shardFiles(out, 'train');
  assert.equal(val.length, 1);
  assert.equal(train.length, Math.ceil((expected.length - 300) / 500));
  assert.deepEqual(files, [...val, ...train]);
  const got = [...val, ...train].flatMap((f) => Array.from(readShard(f)));
  assert.deepEqual(got, expected);
});

test('prepare --paragraphs: the same tokens as llm.c\'s tinyshakespeare.py, in chunks', () => {
  const text = 'First Citizen:\nBefore we proceed.\n\nAll:\nSpeak, speak.\n\n\nFirst Citizen:\nYou are all resolved\n\n  odd spacing \n\nend';
  writeFileSync(join(dir, 'p.txt'), text);
  const expected: number[] = [];
  const sections = text.split('\n\n');
  sections.forEach((s, i) => expected.push(EOT, ...tok.encode(i < sections.length - 1 ? s + '\n\n' : s)));
  for (const chunkBytes of [5, 16, 1 << 20]) {
    const out = join(dir, `para-${chunkBytes}`);
    prepareShards([join(dir, 'p.txt')], out, tok, { valTokens: 0, paragraphs: true, chunkBytes });
    assert.deepEqual(Array.from(readShard(join(out, 'train_000000.bin'))), expected, `chunks of ${chunkBytes}`);
  }
});

test('loader: sequential (B, T) batches with targets shifted by one, rank striding, wrap-around', () => {
  const d = join(dir, 'seq');
  prepareShards([], d, tok); // creates the directory
  const seq = Uint16Array.from({ length: 100 }, (_, i) => i);
  writeShard(join(d, 'train_000000.bin'), seq.subarray(0, 60));
  writeShard(join(d, 'train_000001.bin'), seq.subarray(60));
  const l = new ShardLoader(d, 'train', 2, 4);
  const b1 = l.nextBatch();
  assert.deepEqual(b1.x.tolist(), [[0, 1, 2, 3], [4, 5, 6, 7]]);
  assert.deepEqual(b1.y.tolist(), [[1, 2, 3, 4], [5, 6, 7, 8]]);
  const seen: number[] = [];
  for (let i = 0; i < 12; i++) seen.push(l.nextBatch().x.intValues()[0]);
  // shard 0 (60 tokens) gives batches at 0, 8, ..., 48; then shard 1 (values 60..99): 60, 68, 76, 84; then back to shard 0
  assert.deepEqual(seen, [8, 16, 24, 32, 40, 48, 60, 68, 76, 84, 0, 8]);

  const r0 = new ShardLoader(d, 'train', 1, 4, 0, 2), r1 = new ShardLoader(d, 'train', 1, 4, 1, 2);
  assert.deepEqual([0, 1, 2].map(() => r0.nextBatch().x.intValues()[0]), [0, 8, 16]);
  assert.deepEqual([0, 1, 2].map(() => r1.nextBatch().x.intValues()[0]), [4, 12, 20]);
  // exact resume of the position
  const s = l.getState();
  const l2 = new ShardLoader(d, 'train', 2, 4);
  l2.setState(s);
  assert.deepEqual(l2.nextBatch().x.tolist(), l.nextBatch().x.tolist());
  assert.throws(() => new ShardLoader(d, 'train', 8, 8), /fewer than one batch needs \(65/);
  assert.throws(() => new ShardLoader(d, 'val', 1, 4), /no val_\*\.bin shards/);
});
