/**
 * The oracle of the fused self-attention kernels (backend.ts's selfAttention and its backward):
 * plain loops, per (batch, head), over q, k and v where they lie in qkv (B, T, 3C), in double
 * precision sums. Not part of the reference backend's table: a backend without the fused kernels
 * composes attention from matmul and scaledSoftmax instead (nn/attention.ts), which is faster
 * than these loops; they exist to check a fused kernel against.
 */

/** y (B, T, C) and att (B, nh, T, T) from qkv (B, T, 3C). */
export function selfAttention(qkv: Float32Array, B: number, T: number, nh: number, hs: number, scale: number, causal: boolean,
  y: Float32Array, att: Float32Array): void {
  const C = nh * hs;
  const row = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < nh; h++) {
      const base = b * T * 3 * C + h * hs; // q of token 0; k at +C, v at +2C; a token's row is 3C long
      const p = att.subarray((b * nh + h) * T * T, (b * nh + h + 1) * T * T);
      for (let t = 0; t < T; t++) {
        const limit = causal ? t + 1 : T;
        let max = -Infinity;
        for (let j = 0; j < limit; j++) {
          let s = 0;
          for (let d = 0; d < hs; d++) s += qkv[base + t * 3 * C + d] * qkv[base + C + j * 3 * C + d];
          row[j] = s * scale;
          if (row[j] > max) max = row[j];
        }
        let sum = 0;
        for (let j = 0; j < limit; j++) sum += (row[j] = Math.exp(row[j] - max));
        for (let j = 0; j < T; j++) p[t * T + j] = j < limit ? row[j] / sum : 0;
        for (let d = 0; d < hs; d++) {
          let s = 0;
          for (let j = 0; j < limit; j++) s += p[t * T + j] * qkv[base + 2 * C + j * 3 * C + d];
          y[b * T * C + t * C + h * hs + d] = s;
        }
      }
    }
  }
}

/** dqkv (B, T, 3C) from dy (B, T, C) and the forward's qkv and att. */
export function selfAttentionBackward(dy: Float32Array, qkv: Float32Array, att: Float32Array, B: number, T: number, nh: number, hs: number,
  scale: number, dqkv: Float32Array): void {
  const C = nh * hs;
  const ds = new Float64Array(T * T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < nh; h++) {
      const base = b * T * 3 * C + h * hs, gy = b * T * C + h * hs;
      const p = att.subarray((b * nh + h) * T * T, (b * nh + h + 1) * T * T);
      const q = (t: number, d: number) => qkv[base + t * 3 * C + d];
      const k = (t: number, d: number) => qkv[base + C + t * 3 * C + d];
      const v = (t: number, d: number) => qkv[base + 2 * C + t * 3 * C + d];
      const g = (t: number, d: number) => dy[gy + t * C + d];
      // dP = dY V^T, then dS = scale * P * (dP - rowsum(dP * P))
      for (let t = 0; t < T; t++) {
        let dot = 0;
        for (let j = 0; j < T; j++) {
          let s = 0;
          for (let d = 0; d < hs; d++) s += g(t, d) * v(j, d);
          ds[t * T + j] = s;
          dot += s * p[t * T + j];
        }
        for (let j = 0; j < T; j++) ds[t * T + j] = scale * p[t * T + j] * (ds[t * T + j] - dot);
      }
      for (let t = 0; t < T; t++) {
        for (let d = 0; d < hs; d++) {
          let dq = 0, dk = 0, dv = 0;
          for (let j = 0; j < T; j++) {
            dq += ds[t * T + j] * k(j, d); // dQ = dS K
            dk += ds[j * T + t] * q(j, d); // dK = dS^T Q
            dv += p[j * T + t] * g(j, d); // dV = P^T dY
          }
          const o = base + t * 3 * C + d;
          dqkv[o] = dq;
          dqkv[o + C] = dk;
          dqkv[o + 2 * C] = dv;
        }
      }
    }
  }
}
