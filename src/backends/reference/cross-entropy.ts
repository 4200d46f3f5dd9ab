/** Cross-entropy rows, in float64 per element (see Backend.crossEntropyRows). */
export function crossEntropyRows(x: Float32Array, rows: number, cols: number, t: Int32Array, ignore: number,
  lse: Float64Array, probs: Float32Array | null, pm1: Float64Array | null): void {
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
}
