import { Tensor } from '../../engine/tensor.js';
import type { ImageSet } from '../../data/fashion-mnist.js';
import type { Generator } from '../../util/random.js';

/** Pixel statistics of a training set, for normalising inputs to mean 0 and standard deviation 1. */
export interface PixelStats { mean: number; std: number }

export function pixelStats(set: ImageSet): PixelStats {
  let s = 0, s2 = 0;
  for (let i = 0; i < set.images.length; i++) { const v = set.images[i] / 255; s += v; s2 += v * v; }
  const mean = s / set.images.length;
  return { mean, std: Math.sqrt(Math.max(1e-12, s2 / set.images.length - mean * mean)) };
}

/** Images idx of a set as a normalised float batch (B, 1, H, W), and their labels (B). */
export function batchOf(set: ImageSet, idx: ArrayLike<number>, stats: PixelStats): { x: Tensor; y: Tensor } {
  const px = set.height * set.width, B = idx.length;
  const x = new Float32Array(B * px), y = new Int32Array(B);
  const scale = 1 / (255 * stats.std), shift = stats.mean / stats.std;
  for (let b = 0; b < B; b++) {
    const src = idx[b] * px;
    for (let i = 0; i < px; i++) x[b * px + i] = set.images[src + i] * scale - shift;
    y[b] = set.labels[idx[b]];
  }
  return { x: new Tensor(x, [B, 1, set.height, set.width]), y: new Tensor(y, [B]) };
}

/** How far (pixels, each way) augmentation shifts an image. */
export const MAX_SHIFT = 2;

/**
 * A random batch, drawn with replacement from the generator (so a resume, which restores it, draws
 * the same). With `augment`, each image is shifted by up to MAX_SHIFT pixels each way (the uncovered
 * border is background, raw 0) and mirrored left-right half the time: the same garment, seen a
 * little differently, so the network cannot memorise exact pixel positions.
 */
export function randomBatch(set: ImageSet, size: number, stats: PixelStats, gen: Generator, augment = false): { x: Tensor; y: Tensor } {
  const idx = Array.from({ length: size }, () => gen.randint(0, set.count));
  const batch = batchOf(set, idx, stats);
  if (augment) {
    const x = batch.x.data as Float32Array, H = set.height, W = set.width, background = -stats.mean / stats.std;
    const img = new Float32Array(H * W);
    for (let b = 0; b < size; b++) {
      const dy = gen.randint(-MAX_SHIFT, MAX_SHIFT + 1), dx = gen.randint(-MAX_SHIFT, MAX_SHIFT + 1), flip = gen.random() < 0.5;
      const o = b * H * W;
      img.set(x.subarray(o, o + H * W));
      for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) {
        const sh = h - dy, sw = flip ? W - 1 - (w - dx) : w - dx; // output (h, w) reads source (sh, sw)
        x[o + h * W + w] = sh >= 0 && sh < H && sw >= 0 && sw < W ? img[sh * W + sw] : background;
      }
    }
  }
  return batch;
}

/** The first n images of a set (or all), in order, in batches of `size`. */
export function* inOrder(set: ImageSet, size: number, stats: PixelStats, n = set.count): IterableIterator<{ x: Tensor; y: Tensor; start: number }> {
  for (let start = 0; start < Math.min(n, set.count); start += size) {
    const idx = Array.from({ length: Math.min(size, n - start, set.count - start) }, (_, i) => start + i);
    yield { ...batchOf(set, idx, stats), start };
  }
}
