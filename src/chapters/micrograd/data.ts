import { Generator } from '../../util/random.js';

/** A 2-d binary classification dataset: points X and labels y in {-1, +1}. */
export interface Dataset {
  X: [number, number][];
  y: number[];
}

export interface MoonsOptions {
  samples?: number;
  /** Standard deviation of the Gaussian noise added to each coordinate. */
  noise?: number;
  /** A seed, or a generator to draw from. */
  seed?: number | Generator;
}

/**
 * Two interleaving half circles, as scikit-learn's make_moons builds them: the upper moon
 * (label -1) is centred at (0, 0), the lower one (label +1) at (1, 0.5); then noise and a
 * shuffle. Not linearly separable, so the MLP has to bend its decision boundary.
 */
export function makeMoons({ samples = 100, noise = 0.1, seed = 0 }: MoonsOptions = {}): Dataset {
  const rng = typeof seed === 'number' ? new Generator(seed) : seed;
  const nUpper = Math.floor(samples / 2);
  const nLower = samples - nUpper;
  const points: [number, number][] = [];
  const labels: number[] = [];
  const angle = (i: number, n: number) => (n > 1 ? (Math.PI * i) / (n - 1) : 0);
  for (let i = 0; i < nUpper; i++) {
    const t = angle(i, nUpper);
    points.push([Math.cos(t), Math.sin(t)]);
    labels.push(-1);
  }
  for (let i = 0; i < nLower; i++) {
    const t = angle(i, nLower);
    points.push([1 - Math.cos(t), 0.5 - Math.sin(t)]);
    labels.push(1);
  }
  for (const p of points) {
    p[0] += noise * rng.normal();
    p[1] += noise * rng.normal();
  }
  const order = rng.randperm(samples);
  return { X: order.map((i) => points[i]), y: order.map((i) => labels[i]) };
}
