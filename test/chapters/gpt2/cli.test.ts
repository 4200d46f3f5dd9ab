import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/test/chapters/gpt2 -> repository root
const bin = fileURLToPath(new URL('../../../../bin/gradpath.js', import.meta.url));
const run = (args: string[], input?: string) => spawnSync(process.execPath, [bin, ...args], { input, encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'gpt2-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('cli: bpe encode/decode with GPT-2 on stdin; bad ids are refused with exit 2', () => {
  const enc = run(['bpe', 'encode'], 'Hello world<|endoftext|> 🙂');
  assert.equal(enc.status, 0, enc.stderr);
  const ids = JSON.parse(enc.stdout) as number[];
  assert.deepEqual(ids.slice(0, 3), [15496, 995, 50256]);
  const dec = run(['bpe', 'decode'], JSON.stringify(ids));
  assert.equal(dec.stdout, 'Hello world<|endoftext|> 🙂');
  const bad = run(['bpe', 'decode'], '[15496, 99999]');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /token id 99999 .*outside the vocabulary of 50257/);
});

test('cli: bpe train then encode with the trained file; gpt2 train without data fails cleanly', () => {
  writeFileSync(join(dir, 'in.txt'), 'low lower lowest newer newest wider widest\n'.repeat(20));
  const tr = run(['bpe', 'train', '-i', join(dir, 'in.txt'), '--vocab-size', '270', '-o', join(dir, 't.json')]);
  assert.equal(tr.status, 0, tr.stderr);
  assert.match(tr.stdout, /14 merges/);
  const enc = run(['bpe', 'encode', '--encoding', join(dir, 't.json')], 'lowest newest');
  const ids = JSON.parse(enc.stdout) as number[];
  assert.ok(ids.length < 'lowest newest'.length && ids.some((i) => i >= 256));
  const dec = run(['bpe', 'decode', '--encoding', join(dir, 't.json')], enc.stdout);
  assert.equal(dec.stdout, 'lowest newest');
  const noData = run(['gpt2', 'train', '--data', join(dir, 'nothing')]);
  assert.equal(noData.status, 2);
  assert.match(noData.stderr, /does not exist; make it with `gradpath gpt2 prepare/);
});
