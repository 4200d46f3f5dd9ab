/** Layer norm, fused: one pass for statistics, one to normalise; backward in two row passes. */
export function layerNorm(x: Float32Array, weight: Float32Array | null, bias: Float32Array | null, rows: number, cols: number, eps: number,
  out: Float32Array, mean: Float32Array, rstd: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += x[o + j];
    const mu = s / cols;
    let v = 0;
    for (let j = 0; j < cols; j++) { const d = x[o + j] - mu; v += d * d; }
    const rs = 1 / Math.sqrt(v / cols + eps);
    mean[r] = mu;
    rstd[r] = rs;
    for (let j = 0; j < cols; j++) {
      const xhat = (x[o + j] - mu) * rs;
      out[o + j] = weight ? xhat * weight[j] + (bias ? bias[j] : 0) : xhat + (bias ? bias[j] : 0);
    }
  }
}

export function layerNormBackward(g: Float32Array, x: Float32Array, weight: Float32Array | null, mean: Float32Array, rstd: Float32Array,
  rows: number, cols: number, dx: Float32Array, dweight: Float32Array | null, dbias: Float32Array | null): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols, mu = mean[r], rs = rstd[r];
    // dxhat = g * w;  dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
    let sumD = 0, sumDX = 0;
    for (let j = 0; j < cols; j++) {
      const xhat = (x[o + j] - mu) * rs;
      const dxhat = g[o + j] * (weight ? weight[j] : 1);
      sumD += dxhat;
      sumDX += dxhat * xhat;
      if (dweight) dweight[j] += g[o + j] * xhat;
      if (dbias) dbias[j] += g[o + j];
    }
    const mD = sumD / cols, mDX = sumDX / cols;
    for (let j = 0; j < cols; j++) {
      const xhat = (x[o + j] - mu) * rs;
      const dxhat = g[o + j] * (weight ? weight[j] : 1);
      dx[o + j] = rs * (dxhat - mD - xhat * mDX);
    }
  }
}
