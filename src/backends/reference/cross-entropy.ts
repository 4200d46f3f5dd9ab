import type { Backend } from '../backend.js';

/**
 * The per-row work of cross-entropy, in float64 per element: lse[i] (log-sum-exp of row i) and,
 * when probs is given, the row's softmax into probs and p_target - 1 into pm1[i] (from the other
 * classes' sum, so it stays exact where p rounds to 1). Rows whose target is `ignore` are left as
 * they are. The CPU backends each have one (wasm and native in their own kernels);
 * crossEntropyFromRows turns one into Backend.crossEntropy.
 */
export type CrossEntropyRows = (x: Float32Array, rows: number, cols: number, t: Int32Array, ignore: number,
  lse: Float64Array, probs: Float32Array | null, pm1: Float64Array | null) => void;

/** Cross-entropy rows, in float64 per element (see CrossEntropyRows). */
export const crossEntropyRows: CrossEntropyRows = (x, rows, cols, t, ignore, lse, probs, pm1) => {
  const C = cols;
  for (let i = 0; i < rows; i++) {
    const y = t[i];
    if (y === ignore) continue;
    const o = i * C;
    let max = -Infinity;
    for (let j = 0; j < C; j++) if (x[o + j] > max) max = x[o + j];
    if (max === -Infinity) max = 0; // all -inf: keep NaN out of (-inf) - (-inf)
    // the target's exp is left out of the running sum, so the others' sum is exact
    let others = 0;
    if (probs) {
      for (let j = 0; j < C; j++) {
        const e = Math.exp(x[o + j] - max);
        probs[o + j] = e;
        others += j === y ? 0 : e;
      }
    } else {
      for (let j = 0; j < C; j++) if (j !== y) others += Math.exp(x[o + j] - max);
    }
    const et = Math.exp(x[o + y] - max);
    const sum = others + et;
    lse[i] = max + Math.log(sum);
    if (probs) {
      const inv = 1 / sum;
      pm1![i] = -others * inv;
      for (let j = 0; j < C; j++) probs[o + j] *= inv;
    }
  }
};

/**
 * Backend.crossEntropy from a backend's rows kernel: the loss summed in float64 from each row's
 * lse and target logit, the target entries of grad set to p - 1 and ignored rows zeroed (a pass
 * over N rows on the host, where these backends' arrays are).
 */
export function crossEntropyFromRows(rowsKernel: CrossEntropyRows): Backend['crossEntropy'] {
  return (x, rows, cols, t, ignore, loss, grad) => {
    const lse = new Float64Array(rows), pm1 = grad ? new Float64Array(rows) : null;
    rowsKernel(x, rows, cols, t, ignore, lse, grad, pm1);
    let sum = 0, count = 0;
    for (let i = 0; i < rows; i++) {
      if (t[i] === ignore) {
        grad?.fill(0, i * cols, (i + 1) * cols);
        continue;
      }
      sum += lse[i] - x[i * cols + t[i]];
      count++;
      if (grad) grad[i * cols + t[i]] = pm1![i];
    }
    loss[0] = count ? sum / count : NaN;
  };
}

/** Backend.crossEntropy of the reference backend. */
export const crossEntropy = crossEntropyFromRows(crossEntropyRows);
