import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SHIFT, pixelStats, randomBatch } from '../../../src/chapters/vision/data.js';
import { Generator } from '../../../src/util/random.js';
import { syntheticSet } from './fixtures.js';

/** Image (H, W) shifted by (dy, dx), mirrored first when flip, the uncovered border filled with `fill`. */
function transformed(img: Float32Array, H: number, W: number, dy: number, dx: number, flip: boolean, fill: number): Float32Array {
  const out = new Float32Array(H * W).fill(fill);
  for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) {
    const sh = h - dy, sw0 = w - dx, sw = flip ? W - 1 - sw0 : sw0;
    if (sh >= 0 && sh < H && sw0 >= 0 && sw0 < W) out[h * W + w] = img[sh * W + sw];
  }
  return out;
}

test('augmented batches are the drawn images shifted by at most MAX_SHIFT and maybe mirrored; labels unchanged', () => {
  const set = syntheticSet(7, 5, 9), stats = pixelStats(set), H = 9, W = 9, fill = -stats.mean / stats.std;
  const plainGen = new Generator(11), augGen = new Generator(11);
  const plain = randomBatch(set, 40, stats, plainGen), aug = randomBatch(set, 40, stats, augGen, true);
  assert.deepEqual(aug.y.intValues(), plain.y.intValues(), 'the same images drawn (the draws come first)');
  const px = plain.x.floatValues(), ax = aug.x.floatValues();
  let moved = 0, flipped = 0;
  for (let b = 0; b < 40; b++) {
    const src = px.subarray(b * H * W, (b + 1) * H * W), got = ax.subarray(b * H * W, (b + 1) * H * W);
    const matches: [number, number, boolean][] = [];
    for (let dy = -MAX_SHIFT; dy <= MAX_SHIFT; dy++) for (let dx = -MAX_SHIFT; dx <= MAX_SHIFT; dx++) for (const flip of [false, true]) {
      const want = transformed(src, H, W, dy, dx, flip, fill);
      if (want.every((v, i) => Math.abs(v - got[i]) < 1e-6)) matches.push([dy, dx, flip]);
    }
    assert.ok(matches.length > 0, `image ${b} is no shift or flip of the one drawn`);
    if (!matches.some(([dy, dx, f]) => dy === 0 && dx === 0 && !f)) moved++;
    if (matches.every(([, , f]) => f)) flipped++;
  }
  // 50 transforms, 40 draws: nearly all move, about half mirror
  assert.ok(moved >= 30, `only ${moved} of 40 moved`);
  assert.ok(flipped >= 8 && flipped <= 32, `${flipped} of 40 mirrored`);
});
