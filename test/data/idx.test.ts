import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeIdx, parseIdx, readIdx } from '../../src/data/idx.js';
import { readImageSet, locateFashionMnist } from '../../src/data/fashion-mnist.js';
import { GradpathError } from '../../src/util/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'gradpath-idx-'));
const images = (n: number, h: number, w: number) => encodeIdx([n, h, w], Uint8Array.from({ length: n * h * w }, (_, i) => (i * 7) % 256));
const oneLine = (re: RegExp) => (e: Error) => e instanceof GradpathError && !e.message.includes('\n') && re.test(e.message);

test('IDX round trip, plain and gzipped, and the big-endian int32 type', () => {
  const bytes = images(2, 3, 4);
  for (const b of [bytes, gzipSync(bytes)]) {
    const a = parseIdx(b, 'x');
    assert.deepEqual(a.shape, [2, 3, 4]);
    assert.equal(a.type, 'uint8');
    assert.equal(a.data[5], 35);
  }
  const ints = Uint8Array.from([0, 0, 0x0c, 1, 0, 0, 0, 2, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xfe]);
  assert.deepEqual(Array.from(parseIdx(ints, 'ints').data), [256, -2]);
});

test('IDX errors: not IDX, truncated, trailing bytes, broken gzip, missing file', () => {
  assert.throws(() => parseIdx(new TextEncoder().encode('hello world'), 'f'), oneLine(/not an IDX file/));
  const bytes = images(2, 3, 4);
  assert.throws(() => parseIdx(bytes.subarray(0, bytes.length - 1), 'f'), oneLine(/truncated/));
  assert.throws(() => parseIdx(Uint8Array.from([...bytes, 0]), 'f'), oneLine(/trailing bytes/));
  const gz = gzipSync(bytes);
  assert.throws(() => parseIdx(gz.subarray(0, 20), 'f'), oneLine(/not a valid gzip file/));
  assert.throws(() => readIdx(join(dir, 'nope')), oneLine(/does not exist/));
});

test('an image set is checked: size, label count, label range', () => {
  const put = (name: string, b: Uint8Array) => { writeFileSync(join(dir, name), b); return join(dir, name); };
  const labels = (xs: number[]) => encodeIdx([xs.length], Uint8Array.from(xs));
  const set = readImageSet(put('a-img', images(3, 28, 28)), put('a-lab', labels([0, 9, 4])));
  assert.equal(set.count, 3);
  assert.equal(set.images.length, 3 * 28 * 28);
  assert.throws(() => readImageSet(put('b-img', images(3, 32, 32)), join(dir, 'a-lab')), oneLine(/32x32; this model needs 28x28/));
  assert.throws(() => readImageSet(join(dir, 'a-img'), put('c-lab', labels([0, 1]))), oneLine(/2 labels for the 3 images/));
  assert.throws(() => readImageSet(join(dir, 'a-img'), put('d-lab', labels([0, 1, 10]))), oneLine(/label 10 of image 2/));
});

test('Fashion-MNIST from a folder: gzipped or not; a missing file is named', async () => {
  const d = mkdtempSync(join(tmpdir(), 'gradpath-fm-'));
  writeFileSync(join(d, 'train-images-idx3-ubyte.gz'), gzipSync(images(4, 28, 28)));
  writeFileSync(join(d, 'train-labels-idx1-ubyte'), encodeIdx([4], Uint8Array.of(1, 2, 3, 4)));
  writeFileSync(join(d, 't10k-images-idx3-ubyte'), images(2, 28, 28));
  await assert.rejects(locateFashionMnist({ dir: d }), oneLine(/missing t10k-labels-idx1-ubyte/));
  writeFileSync(join(d, 't10k-labels-idx1-ubyte.gz'), gzipSync(encodeIdx([2], Uint8Array.of(0, 5))));
  const p = await locateFashionMnist({ dir: d });
  assert.equal(p.trainImages, join(d, 'train-images-idx3-ubyte.gz'));
  await assert.rejects(locateFashionMnist({ dir: join(d, 'nope') }), oneLine(/no such folder/));
});
