/**
 * Batch norm over channels, fused: x viewed as (N, C, L) (L = H*W for images), statistics per
 * channel over N and L, accumulated in float64 (a channel of a batch of images has 100k values).
 */
export function batchNorm(x: Float32Array, N: number, C: number, L: number, weight: Float32Array | null, bias: Float32Array | null,
  eps: number, batchStats: boolean, mean: Float32Array, rstd: Float32Array, out: Float32Array): void {
  const count = N * L;
  for (let c = 0; c < C; c++) {
    if (batchStats) {
      let s = 0;
      for (let n = 0; n < N; n++) {
        const o = (n * C + c) * L;
        for (let l = 0; l < L; l++) s += x[o + l];
      }
      const mu = s / count;
      let v = 0;
      for (let n = 0; n < N; n++) {
        const o = (n * C + c) * L;
        for (let l = 0; l < L; l++) { const d = x[o + l] - mu; v += d * d; }
      }
      mean[c] = mu;
      rstd[c] = 1 / Math.sqrt(v / count + eps);
    }
    // out = x * scale + shift, with the mean and the affine parameters folded in
    const scale = rstd[c] * (weight ? weight[c] : 1);
    const shift = (bias ? bias[c] : 0) - mean[c] * scale;
    for (let n = 0; n < N; n++) {
      const o = (n * C + c) * L;
      for (let l = 0; l < L; l++) out[o + l] = x[o + l] * scale + shift;
    }
  }
}

export function batchNormBackward(g: Float32Array, x: Float32Array, N: number, C: number, L: number, weight: Float32Array | null,
  batchStats: boolean, mean: Float32Array, rstd: Float32Array, dx: Float32Array, dweight: Float32Array | null, dbias: Float32Array | null): void {
  const count = N * L;
  for (let c = 0; c < C; c++) {
    const mu = mean[c], rs = rstd[c], w = weight ? weight[c] : 1;
    // sum(g) and sum(g * xhat) over the channel: dbias, dweight, and the statistics' share of dx
    let sumG = 0, sumGX = 0;
    for (let n = 0; n < N; n++) {
      const o = (n * C + c) * L;
      for (let l = 0; l < L; l++) {
        sumG += g[o + l];
        sumGX += g[o + l] * (x[o + l] - mu);
      }
    }
    sumGX *= rs;
    if (dweight) dweight[c] = sumGX;
    if (dbias) dbias[c] = sumG;
    const k = rs * w;
    if (!batchStats) {
      for (let n = 0; n < N; n++) {
        const o = (n * C + c) * L;
        for (let l = 0; l < L; l++) dx[o + l] = g[o + l] * k;
      }
      continue;
    }
    // dx = rstd * w * (g - mean(g) - xhat * mean(g * xhat))
    const mG = sumG / count, mGX = sumGX / count;
    for (let n = 0; n < N; n++) {
      const o = (n * C + c) * L;
      for (let l = 0; l < L; l++) dx[o + l] = k * (g[o + l] - mG - (x[o + l] - mu) * rs * mGX);
    }
  }
}

/** Backend.batchNormRunningStats: the running statistics' update, in place. */
export function batchNormRunningStats(mean: Float32Array, rstd: Float32Array, C: number, count: number, eps: number, momentum: number,
  runningMean: Float32Array, runningVar: Float32Array): void {
  for (let c = 0; c < C; c++) {
    const biasedVar = 1 / (rstd[c] * rstd[c]) - eps;
    runningMean[c] = (1 - momentum) * runningMean[c] + momentum * mean[c];
    runningVar[c] = (1 - momentum) * runningVar[c] + momentum * biasedVar * (count / (count - 1));
  }
}
