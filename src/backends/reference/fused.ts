/**
 * The compositions the optional fused primitives of backend.ts stand for (linearGelu,
 * biasGeluBackward, addLayerNorm, adamMany, sumSquaresMany), written with any backend's general primitives. They
 * are the oracle a fused kernel is checked against (run on the reference backend), and the
 * engine's fallback where a backend lacks the fused one.
 */
import type { AdamStep, Backend } from '../backend.js';

/** pre = x w^T (+ bias) (rows, n), out = gelu(pre), th its tanh values. */
export function linearGelu(be: Backend, x: Float32Array, w: Float32Array, bias: Float32Array | null, pre: Float32Array, out: Float32Array,
  th: Float32Array, rows: number, k: number, n: number): void {
  if (!bias) be.matmul(x, w, pre, 1, rows, k, n, false, true, 0, 0);
  else if (be.linear) be.linear(x, w, bias, pre, rows, k, n);
  else {
    const xw = new Float32Array(rows * n);
    be.matmul(x, w, xw, 1, rows, k, n, false, true, 0, 0);
    be.binary('add', xw, [n, 1], bias, [0, 1], pre, [rows, n]);
  }
  be.geluForward(pre, out, th);
}

/** dpre = g * gelu'(pre) (rows, n); dbias = the sum of dpre's rows (when not null). */
export function biasGeluBackward(be: Backend, g: Float32Array, pre: Float32Array, th: Float32Array, rows: number, n: number,
  dpre: Float32Array, dbias: Float32Array | null): void {
  be.geluBackward(g, pre, th, dpre);
  if (dbias) be.reduce('sum', dpre, 1, rows, n, dbias);
}

/** sum = x + y, out = layerNorm(sum) over (rows, cols). */
export function addLayerNorm(be: Backend, x: Float32Array, y: Float32Array, weight: Float32Array | null, bias: Float32Array | null,
  rows: number, cols: number, eps: number, sum: Float32Array, out: Float32Array, mean: Float32Array, rstd: Float32Array): void {
  be.binary('add', x, [1], y, [1], sum, [rows * cols]);
  be.layerNorm(sum, weight, bias, rows, cols, eps, out, mean, rstd);
}

/** One adam call per tensor. */
export function adamMany(be: Backend, p: Float32Array[], g: Float32Array[], m: Float32Array[], v: Float32Array[], steps: AdamStep[]): void {
  p.forEach((pi, i) => be.adam(pi, g[i], m[i], v[i], steps[i]));
}

/** One sumSquares call per array, added in float64. */
export function sumSquaresMany(be: Backend, xs: Float32Array[]): number {
  let sq = 0;
  for (const x of xs) sq += be.sumSquares(x);
  return sq;
}
