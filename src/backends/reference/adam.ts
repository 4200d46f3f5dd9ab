import type { AdamStep } from '../backend.js';

/** The Adam(W) update as written in the papers, in float64 per element (see Backend.adam). */
export function adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, s: AdamStep): void {
  const { beta1: b1, beta2: b2, eps, stepSize, invSqrtC2, decay, l2 } = s;
  const ob1 = 1 - b1, ob2 = 1 - b2;
  const n = p.length;
  // hot loop over every parameter: constants hoisted, each array read once and written once
  for (let i = 0; i < n; i++) {
    const gi = g[i] + l2 * p[i];
    const mi = b1 * m[i] + ob1 * gi;
    const vi = b2 * v[i] + ob2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * decay - (stepSize * mi) / (Math.sqrt(vi) * invSqrtC2 + eps);
  }
}
