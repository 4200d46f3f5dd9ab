import { noGrad } from '../../engine/autograd.js';
import type { Tensor } from '../../engine/tensor.js';
import { Module } from '../../nn/module.js';
import { Dropout } from '../../nn/layers.js';
import { Generator } from '../../util/random.js';

/**
 * Loss landscapes: the loss of a network as a function of its weights, seen along a line or on
 * a plane through weight space (a network has 10^4..10^8 weights; these are 1-D and 2-D slices).
 * Any Module: the vision chapter's conv nets and makemore's MLP use the same pieces.
 * - interpolation (Goodfellow, Vinyals and Saxe 2015): theta(a) = (1 - a) theta_init + a theta_trained;
 * - a random plane (Li, Xu, Taylor, Studer and Goldstein 2018): theta* + x d1 + y d2, each direction
 *   Gaussian and "filter-normalised": every filter (row of a weight) rescaled to the norm of the
 *   trained filter it moves, biases and BatchNorm parameters not moved, so planes of networks with
 *   different weight scales compare;
 * - the plane of the training trajectory: its two principal directions (PCA of theta_i - theta_final).
 * Losses are measured on one fixed batch, in training mode (BatchNorm's batch statistics, as
 * during training) with dropout off (so the loss is a function of the weights alone).
 */

/** All parameters as one flat vector (copied), in namedParameters order. */
export function getFlat(model: Module): Float32Array {
  const ps = model.parameters();
  const out = new Float32Array(ps.reduce((n, p) => n + p.numel(), 0));
  let o = 0;
  for (const p of ps) { out.set(p.floatValues(), o); o += p.numel(); }
  return out;
}

/** Writes a flat vector back into the parameters. */
export function setFlat(model: Module, v: Float32Array): void {
  let o = 0;
  for (const p of model.parameters()) {
    (p.data as Float32Array).set(v.subarray(o, o + p.numel()), p.offset);
    o += p.numel();
  }
}

function forEachModule(m: Module, fn: (m: Module) => void): void {
  fn(m);
  for (const [, c] of m.namedChildren()) forEachModule(c, fn);
}

/**
 * A function of the weights: writes them into the model and returns lossOf()'s value (the loss
 * of a fixed batch, built once by the caller), in training mode with dropout off, without a graph.
 */
export function weightsLoss(model: Module, lossOf: () => Tensor): (theta: Float32Array) => number {
  return (theta) => {
    setFlat(model, theta);
    model.train();
    forEachModule(model, (m) => { if (m instanceof Dropout) m.training = false; });
    return noGrad(() => lossOf().item());
  };
}

/** theta + a*u + b*v into out. */
function combine(theta: Float32Array, u: Float32Array, a: number, v: Float32Array | null, b: number, out: Float32Array): Float32Array {
  for (let i = 0; i < theta.length; i++) out[i] = theta[i] + a * u[i] + (v ? b * v[i] : 0);
  return out;
}

/** The loss along theta0 + a (theta1 - theta0) for each a. */
export function interpolate(loss: (t: Float32Array) => number, theta0: Float32Array, theta1: Float32Array, alphas: number[]): number[] {
  const d = theta1.map((v, i) => v - theta0[i]), buf = new Float32Array(theta0.length);
  return alphas.map((a) => loss(combine(theta0, d, a, null, 0, buf)));
}

/**
 * A random Gaussian direction, filter-normalised against theta (laid out as the model's
 * parameters): per filter (slice along a weight's first dim) scaled to that filter's norm in
 * theta; parameters with one dim (biases, BatchNorm) get 0.
 */
export function filterNormalisedDirection(params: Tensor[], theta: Float32Array, gen: Generator): Float32Array {
  const d = new Float32Array(theta.length);
  let o = 0;
  for (const p of params) {
    const n = p.numel();
    if (p.ndim > 1) {
      const rows = p.shape[0], per = n / rows;
      for (let r = 0; r < rows; r++) {
        const s = o + r * per;
        let dn = 0, tn = 0;
        for (let i = 0; i < per; i++) { d[s + i] = gen.normal(); dn += d[s + i] ** 2; tn += theta[s + i] ** 2; }
        const k = Math.sqrt(tn) / (Math.sqrt(dn) + 1e-10);
        for (let i = 0; i < per; i++) d[s + i] *= k;
      }
    }
    o += n;
  }
  return d;
}

export interface Surface { xs: number[]; ys: number[]; loss: number[][] }

/** The loss on the plane theta + x u + y v over a grid. */
export function plane(loss: (t: Float32Array) => number, theta: Float32Array, u: Float32Array, v: Float32Array, xs: number[], ys: number[]): Surface {
  const buf = new Float32Array(theta.length);
  return { xs, ys, loss: ys.map((y) => xs.map((x) => loss(combine(theta, u, x, v, y, buf)))) };
}

export function linspace(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

/**
 * The two principal directions of a trajectory's deviations from its last point, and each
 * point's coordinates along them. Via the small Gram matrix (T x T) of the deviations, whose
 * top eigenvectors (power iteration with deflation) give the directions.
 */
export function trajectoryPca(points: Float32Array[]): { u: Float32Array; v: Float32Array; coords: [number, number][]; explained: [number, number] } {
  const last = points[points.length - 1], T = points.length, P = last.length;
  const dev = points.map((p) => p.map((x, i) => x - last[i]));
  const gram = Array.from({ length: T }, (_, i) => Array.from({ length: T }, (_, j) => { let s = 0; for (let k = 0; k < P; k++) s += dev[i][k] * dev[j][k]; return s; }));
  const total = gram.reduce((s, r, i) => s + r[i], 0) || 1;
  const eig = (): { vec: number[]; val: number } => {
    let vec = Array.from({ length: T }, (_, i) => 1 + 0.01 * i), val = 0;
    for (let it = 0; it < 200; it++) {
      const next = gram.map((r) => r.reduce((s, g, j) => s + g * vec[j], 0));
      const n = Math.hypot(...next) || 1;
      val = n;
      vec = next.map((x) => x / n);
    }
    return { vec, val };
  };
  const dirs: Float32Array[] = [], vals: number[] = [];
  for (let k = 0; k < 2; k++) {
    const { vec, val } = eig();
    // direction in weight space: sum_i vec_i dev_i, unit length
    const d = new Float32Array(P);
    for (let i = 0; i < T; i++) for (let j = 0; j < P; j++) d[j] += vec[i] * dev[i][j];
    const n = Math.sqrt(dot(d, d)) || 1;
    for (let j = 0; j < P; j++) d[j] /= n;
    dirs.push(d);
    vals.push(val);
    for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) gram[i][j] -= val * vec[i] * vec[j]; // deflate
  }
  const coords = dev.map((p) => [dot(p, dirs[0]), dot(p, dirs[1])] as [number, number]);
  return { u: dirs[0], v: dirs[1], coords, explained: [vals[0] / total, vals[1] / total] };
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Euclidean distance between two weight vectors, relative to the norm of the first. */
export function relativeDistance(a: Float32Array, b: Float32Array): number {
  let d = 0, n = 0;
  for (let i = 0; i < a.length; i++) { d += (a[i] - b[i]) ** 2; n += a[i] ** 2; }
  return Math.sqrt(d / (n || 1));
}
