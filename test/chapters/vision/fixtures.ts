import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeIdx } from '../../../src/data/idx.js';
import type { FashionMnist, ImageSet } from '../../../src/data/fashion-mnist.js';

/**
 * A tiny Fashion-MNIST look-alike: 28x28 images of classes a conv net tells apart at once
 * (class c is a bright bar at row 2c+3, plus a little seeded noise), so a few steps learn something.
 */
export function syntheticSet(count: number, seed: number, size = 28): ImageSet {
  const images = new Uint8Array(count * size * size), labels = new Uint8Array(count);
  let s = seed;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  for (let n = 0; n < count; n++) {
    const c = n % 10;
    labels[n] = c;
    for (let i = 0; i < size * size; i++) images[n * size * size + i] = Math.floor(30 * rnd());
    const row = Math.min(size - 1, 2 * c + 3);
    for (let x = 4; x < size - 4; x++) images[n * size * size + row * size + x] = 200 + Math.floor(50 * rnd());
  }
  return { images, labels, count, height: size, width: size };
}

export function syntheticData(train = 120, test = 40): FashionMnist {
  return { train: syntheticSet(train, 1), test: syntheticSet(test, 2), dir: '(generated)' };
}

/** The same data written as the four IDX files in a new folder (for the CLI). */
export function writeSyntheticFolder(train = 120, test = 40, size = 28): string {
  const dir = mkdtempSync(join(tmpdir(), 'gp-fashion-'));
  for (const [prefix, set] of [['train', syntheticSet(train, 1, size)], ['t10k', syntheticSet(test, 2, size)]] as const) {
    writeFileSync(join(dir, `${prefix}-images-idx3-ubyte`), encodeIdx([set.count, size, size], set.images));
    writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte`), encodeIdx([set.count], set.labels));
  }
  return dir;
}
