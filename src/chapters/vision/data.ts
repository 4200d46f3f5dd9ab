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

/** A random batch, drawn with replacement from the generator (so a resume, which restores it, draws the same). */
export function randomBatch(set: ImageSet, size: number, stats: PixelStats, gen: Generator): { x: Tensor; y: Tensor } {
  const idx = Array.from({ length: size }, () => gen.randint(0, set.count));
  return batchOf(set, idx, stats);
}

/** The first n images of a set (or all), in order, in batches of `size`. */
export function* inOrder(set: ImageSet, size: number, stats: PixelStats, n = set.count): IterableIterator<{ x: Tensor; y: Tensor; start: number }> {
  for (let start = 0; start < Math.min(n, set.count); start += size) {
    const idx = Array.from({ length: Math.min(size, n - start, set.count - start) }, (_, i) => start + i);
    yield { ...batchOf(set, idx, stats), start };
  }
}
