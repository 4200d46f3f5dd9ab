import type { Tensor } from '../../engine/tensor.js';

/**
 * Fourier analysis of the token embedding (Nanda et al. 2023). A model that has grokked modular
 * addition represents each input a by cos(2 pi k a / p) and sin(2 pi k a / p) for a handful of
 * key frequencies k, so the embedding matrix, read as p functions of a (one per column), has
 * almost all its energy on those few k. A memorising model spreads it over all frequencies.
 */

export interface Spectrum {
  p: number;
  /** Norm of the constant component (k = 0) over all embedding dims. */
  constant: number;
  /** norms[k - 1] = sqrt(|cos_k|^2 + |sin_k|^2) for k = 1 .. floor(p / 2). */
  norms: number[];
  cos: number[];
  sin: number[];
  /** Frequencies holding at least KEY_FACTOR times the average energy, strongest first. */
  keyFrequencies: number[];
  /** Fraction of the non-constant energy on the key frequencies. */
  keyShare: number;
  /** Fraction of the non-constant energy on the 5 strongest frequencies (a concentration score). */
  top5Share: number;
}

/**
 * A frequency is "key" above KEY_FACTOR times the mean energy. Random embeddings have about
 * 2 * d_model degrees of freedom per frequency, so their energies stay within a few percent of
 * the mean: they essentially never pass twice it, while a grokked model's few frequencies do.
 */
export const KEY_FACTOR = 2;

/**
 * Projects the first p rows of W (rows: inputs 0..p-1; the '=' row is not a number) on the
 * unit-norm cos/sin basis. W (>= p, d).
 */
export function embeddingSpectrum(W: Tensor, p: number): Spectrum {
  const d = W.shape[1];
  const w = W.floatValues();
  const K = Math.floor(p / 2);
  // energy of W projected on one basis function f over a in [0, p): sum_j (sum_a f(a) W[a, j])^2
  const project = (f: (a: number) => number): number => {
    let fnorm = 0;
    for (let a = 0; a < p; a++) fnorm += f(a) * f(a);
    if (fnorm < 1e-9) return 0; // sin at k = p/2 for even p vanishes
    const coef = new Float64Array(d);
    for (let a = 0; a < p; a++) {
      const fa = f(a);
      for (let j = 0; j < d; j++) coef[j] += fa * w[a * d + j];
    }
    let e = 0;
    for (let j = 0; j < d; j++) e += coef[j] * coef[j];
    return e / fnorm;
  };
  const constant = Math.sqrt(project(() => 1));
  const cos: number[] = [], sin: number[] = [], norms: number[] = [];
  for (let k = 1; k <= K; k++) {
    const c = project((a) => Math.cos((2 * Math.PI * k * a) / p));
    const s = project((a) => Math.sin((2 * Math.PI * k * a) / p));
    cos.push(Math.sqrt(c));
    sin.push(Math.sqrt(s));
    norms.push(Math.sqrt(c + s));
  }
  const energy = norms.map((n) => n * n);
  const total = energy.reduce((x, y) => x + y, 0) || 1;
  const mean = total / Math.max(1, K);
  const order = energy.map((_, i) => i).sort((i, j) => energy[j] - energy[i]);
  const keyIdx = order.filter((i) => energy[i] >= KEY_FACTOR * mean);
  const share = (idx: number[]) => idx.reduce((s, i) => s + energy[i], 0) / total;
  return {
    p, constant, norms, cos, sin,
    keyFrequencies: keyIdx.map((i) => i + 1),
    keyShare: share(keyIdx),
    top5Share: share(order.slice(0, 5)),
  };
}

/** One line per key frequency for the terminal. */
export function describeSpectrum(s: Spectrum): string {
  if (s.keyFrequencies.length === 0) {
    return `no key frequencies: the embedding's energy is spread out (top 5 of ${s.norms.length} frequencies hold ${(100 * s.top5Share).toFixed(0)}%)`;
  }
  const list = s.keyFrequencies.map((k) => `${k} (${s.norms[k - 1].toFixed(2)})`).join(', ');
  return `key frequencies ${list}: ${(100 * s.keyShare).toFixed(0)}% of the embedding's non-constant energy on ${s.keyFrequencies.length} of ${s.norms.length} frequencies`;
}
