import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Vocab, parseItems, splitItems, embeddedNames, loadItems } from '../../../src/chapters/makemore/index.js';
import { GradpathError } from '../../../src/util/errors.js';
import { syllableNames } from './helpers.js';

test('vocabulary: sorted characters after the marker 0; encode/decode round trip', () => {
  const v = Vocab.fromItems(['cab', 'bad']);
  assert.deepEqual(v.chars, ['a', 'b', 'c', 'd']);
  assert.equal(v.size, 5);
  assert.deepEqual(v.encode('cab'), [3, 1, 2]);
  assert.equal(v.decode([0, 3, 1, 2, 0, 0]), 'cab');
  assert.throws(() => v.encode('z'), GradpathError);
});

test('split: min(1000, 10%) test items, deterministic for a seed, different for another', () => {
  const items = syllableNames(500);
  const a = splitItems(items, 3407), b = splitItems(items, 3407), c = splitItems(items, 1);
  assert.equal(a.test.length, 50);
  assert.equal(a.train.length, 450);
  assert.deepEqual(a.test.items, b.test.items);
  assert.deepEqual(a.train.items, b.train.items);
  assert.notDeepEqual(a.test.items, c.test.items);
  assert.deepEqual([...a.train.items, ...a.test.items].sort(), [...items].sort());
  assert.equal(a.blockSize, Math.max(...items.map((w) => w.length)) + 1);
});

test('batch: x starts with the marker, y ends with it and is padded with -1', () => {
  const s = splitItems(['ab', 'abcd', 'c'], 0);
  const { x, y } = s.train.batch([0]);
  const item = s.train.items[0];
  const enc = s.vocab.encode(item);
  const T = x.shape[1];
  assert.equal(T, Math.min(s.blockSize, enc.length + 1)); // trimmed to the longest item in the batch
  assert.deepEqual([...x.intValues()].slice(0, enc.length + 1), [0, ...enc]);
  assert.deepEqual([...y.intValues()], [...enc, 0, ...new Array(T - enc.length - 1).fill(-1)]);
});

test('bad inputs are one-line errors', () => {
  assert.throws(() => parseItems('', 'f.txt'), /f.txt is empty/);
  assert.throws(() => parseItems('\n\n', 'f.txt'), /f.txt is empty/);
  assert.throws(() => parseItems('emma\n', 'f.txt'), /only one item/);
  assert.throws(() => parseItems('ab\u0000cd\nxy', 'f.txt'), /binary/);
  assert.deepEqual(parseItems('emma\r\nolivia\n\n', 'f.txt'), ['emma', 'olivia']);
});

test('missing input file: a GradpathError, not a fallback', async () => {
  await assert.rejects(loadItems('/nonexistent/names.txt', () => {}), /does not exist/);
});

test('embedded names: lowercase letters only, unique, thousands of them', () => {
  const names = embeddedNames();
  assert.ok(names.length > 5000, `${names.length}`);
  assert.ok(names.every((n) => /^[a-z]+$/.test(n)));
  assert.equal(new Set(names).size, names.length);
});
