import type { Window2d } from '../backend.js';

/**
 * Sliding-window kernels of convolutional networks, as plain loops: im2col and its adjoint
 * col2im (a convolution is then a matmul), max and average pooling and their backward passes.
 * Each loops over (image, channel) planes; `rowRange` finds, for one kernel row offset, which
 * output rows read inside the image, so the inner loops need no bounds checks.
 */

/** The output positions o in [0, outSize) whose input o*stride - pad + offset lies in [0, inSize). */
function validRange(outSize: number, inSize: number, stride: number, pad: number, offset: number): [number, number] {
  // o*stride - pad + offset >= 0  <=>  o >= (pad - offset) / stride
  const lo = Math.max(0, Math.ceil((pad - offset) / stride));
  // o*stride - pad + offset <= inSize - 1
  const hi = Math.min(outSize, Math.floor((inSize - 1 + pad - offset) / stride) + 1);
  return [lo, Math.max(lo, hi)];
}

export function im2col(x: Float32Array, w: Window2d, out: Float32Array): void {
  const { N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW } = w;
  const L = OH * OW, plane = H * W;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const xBase = (n * C + c) * plane;
      for (let i = 0; i < kh; i++) {
        const [ohLo, ohHi] = validRange(OH, H, sh, ph, i * dh);
        for (let j = 0; j < kw; j++) {
          const [owLo, owHi] = validRange(OW, W, sw, pw, j * dw);
          const row = ((n * C + c) * kh + i) * kw + j;
          const o = row * L;
          out.fill(0, o, o + ohLo * OW);
          for (let oh = ohLo; oh < ohHi; oh++) {
            const r = o + oh * OW;
            const src = xBase + (oh * sh - ph + i * dh) * W - pw + j * dw;
            for (let ow = 0; ow < owLo; ow++) out[r + ow] = 0;
            if (sw === 1) for (let ow = owLo; ow < owHi; ow++) out[r + ow] = x[src + ow];
            else for (let ow = owLo; ow < owHi; ow++) out[r + ow] = x[src + ow * sw];
            for (let ow = owHi; ow < OW; ow++) out[r + ow] = 0;
          }
          out.fill(0, o + ohHi * OW, o + L);
        }
      }
    }
  }
}

export function col2im(cols: Float32Array, w: Window2d, out: Float32Array): void {
  const { N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW } = w;
  const L = OH * OW, plane = H * W;
  out.fill(0, 0, N * C * plane);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const xBase = (n * C + c) * plane;
      for (let i = 0; i < kh; i++) {
        const [ohLo, ohHi] = validRange(OH, H, sh, ph, i * dh);
        for (let j = 0; j < kw; j++) {
          const [owLo, owHi] = validRange(OW, W, sw, pw, j * dw);
          const o = (((n * C + c) * kh + i) * kw + j) * L;
          for (let oh = ohLo; oh < ohHi; oh++) {
            const r = o + oh * OW;
            const dst = xBase + (oh * sh - ph + i * dh) * W - pw + j * dw;
            for (let ow = owLo; ow < owHi; ow++) out[dst + ow * sw] += cols[r + ow];
          }
        }
      }
    }
  }
}

export function maxPool2d(x: Float32Array, w: Window2d, out: Float32Array, idx: Int32Array): void {
  const { N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW } = w;
  const plane = H * W;
  for (let p = 0; p < N * C; p++) {
    const xBase = p * plane, oBase = p * OH * OW;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        let best = -Infinity, at = -1;
        for (let i = 0; i < kh; i++) {
          const h = oh * sh - ph + i * dh;
          if (h < 0 || h >= H) continue;
          for (let j = 0; j < kw; j++) {
            const ww = ow * sw - pw + j * dw;
            if (ww < 0 || ww >= W) continue;
            const v = x[xBase + h * W + ww];
            // the first NaN wins, as in PyTorch, so it propagates
            if (at < 0 || v > best || (Number.isNaN(v) && !Number.isNaN(best))) {
              best = v;
              at = h * W + ww;
            }
          }
        }
        out[oBase + oh * OW + ow] = best;
        idx[oBase + oh * OW + ow] = at;
      }
    }
  }
}

export function maxPool2dBackward(g: Float32Array, idx: Int32Array, w: Window2d, out: Float32Array): void {
  const { N, C, H, W, OH, OW } = w;
  const plane = H * W, L = OH * OW;
  out.fill(0, 0, N * C * plane);
  for (let p = 0; p < N * C; p++) {
    const xBase = p * plane, oBase = p * L;
    for (let k = 0; k < L; k++) {
      const at = idx[oBase + k];
      if (at >= 0) out[xBase + at] += g[oBase + k];
    }
  }
}

export function avgPool2d(x: Float32Array, w: Window2d, out: Float32Array): void {
  const { N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW } = w;
  const plane = H * W, inv = 1 / (kh * kw);
  for (let p = 0; p < N * C; p++) {
    const xBase = p * plane, oBase = p * OH * OW;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        let s = 0;
        for (let i = 0; i < kh; i++) {
          const h = oh * sh - ph + i * dh;
          if (h < 0 || h >= H) continue;
          for (let j = 0; j < kw; j++) {
            const ww = ow * sw - pw + j * dw;
            if (ww >= 0 && ww < W) s += x[xBase + h * W + ww];
          }
        }
        out[oBase + oh * OW + ow] = s * inv;
      }
    }
  }
}

export function avgPool2dBackward(g: Float32Array, w: Window2d, out: Float32Array): void {
  const { N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW } = w;
  const plane = H * W, inv = 1 / (kh * kw);
  out.fill(0, 0, N * C * plane);
  for (let p = 0; p < N * C; p++) {
    const xBase = p * plane, oBase = p * OH * OW;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const v = g[oBase + oh * OW + ow] * inv;
        for (let i = 0; i < kh; i++) {
          const h = oh * sh - ph + i * dh;
          if (h < 0 || h >= H) continue;
          for (let j = 0; j < kw; j++) {
            const ww = ow * sw - pw + j * dw;
            if (ww >= 0 && ww < W) out[xBase + h * W + ww] += v;
          }
        }
      }
    }
  }
}
