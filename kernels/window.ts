// Sliding-window kernels of convolutional networks (the WindowKernels of src/backends/backend.ts):
// im2col and col2im, max and average pooling with their backward passes, batch norm over channels.
// Same loop structure as the reference (src/backends/reference/window.ts): per (image, channel)
// plane, per kernel offset, only the output rows and columns that read inside the image, so the
// inner loops need no bounds checks; with stride 1 along W those are contiguous runs, done four
// lanes at a time. Pointers are byte offsets into the shared memory; sizes are elements.
// Every geometry argument list is (N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW).

// The first output position o whose input o*stride - pad + offset is >= 0 (outSize when none is).
@inline function lowValid(outSize: i32, stride: i32, pad: i32, offset: i32): i32 {
  const a = pad - offset;
  return a <= 0 ? 0 : min(outSize, (a + stride - 1) / stride);
}

// One past the last output position whose input is <= inSize - 1 (never below lo).
@inline function highValid(outSize: i32, inSize: i32, stride: i32, pad: i32, offset: i32, lo: i32): i32 {
  const a = inSize - 1 + pad - offset;
  const hi = a < 0 ? 0 : min(outSize, a / stride + 1);
  return max(lo, hi);
}

// lowValid and highValid over a window's k taps (tap t reads at + t*dilation - pad), without
// their divisions for the usual window that lies inside the image.
@inline function windowLow(k: i32, size: i32, dilation: i32, pad: i32, at: i32): i32 {
  const first = at - pad;
  return first >= 0 ? 0 : lowValid(k, dilation, pad, at);
}
@inline function windowHigh(k: i32, size: i32, dilation: i32, pad: i32, at: i32, lo: i32): i32 {
  return at - pad + (k - 1) * dilation < size ? k : highValid(k, size, dilation, pad, at, lo);
}

// n floats from src to dst (any alignment). Runs are short (an image row), so an inline loop
// beats memory.copy's call.
@inline function copyFloats(dst: usize, src: usize, n: i32): void {
  const end = <usize>n << 2, end4 = <usize>(n & ~3) << 2;
  let o: usize = 0;
  for (; o < end4; o += 16) v128.store(dst + o, v128.load(src + o));
  for (; o < end; o += 4) store<f32>(dst + o, load<f32>(src + o));
}

// n zeros at dst (n may be 0).
@inline function zeroFloats(dst: usize, n: i32): void {
  const end = <usize>n << 2, end4 = <usize>(n & ~3) << 2, z = f32x4.splat(0);
  let o: usize = 0;
  for (; o < end4; o += 16) v128.store(dst + o, z);
  for (; o < end; o += 4) store<f32>(dst + o, 0);
}

// dst[k] += src[k] for n floats (the sums round as JS's float32 += does).
@inline function addFloats(dst: usize, src: usize, n: i32): void {
  const end = <usize>n << 2, end4 = <usize>(n & ~3) << 2;
  let o: usize = 0;
  for (; o < end4; o += 16) v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
  for (; o < end; o += 4) store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
}

// x (N, C, H, W) -> out (N, C*kh*kw, OH*OW); zeros where a window reads the padding.
export function im2col(x: usize, N: i32, C: i32, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32,
  OH: i32, OW: i32, out: usize): void {
  const L = OH * OW, plane = H * W;
  for (let p = 0; p < N * C; p++) {
    const xBase = x + (<usize>(p * plane) << 2);
    for (let i = 0; i < kh; i++) {
      const ohLo = lowValid(OH, sh, ph, i * dh), ohHi = highValid(OH, H, sh, ph, i * dh, ohLo);
      for (let j = 0; j < kw; j++) {
        const owLo = lowValid(OW, sw, pw, j * dw), owHi = highValid(OW, W, sw, pw, j * dw, owLo);
        const o = out + (<usize>((p * kh + i) * kw + j) * <usize>L << 2);
        memory.fill(o, 0, <usize>(ohLo * OW) << 2);
        for (let oh = ohLo; oh < ohHi; oh++) {
          const r = o + (<usize>(oh * OW) << 2);
          // the input element of output column 0 (may lie left of the row: only columns >= owLo are read)
          const src = <isize>xBase + (<isize>((oh * sh - ph + i * dh) * W - pw + j * dw) << 2);
          zeroFloats(r, owLo);
          if (sw == 1) copyFloats(r + (<usize>owLo << 2), <usize>(src + (<isize>owLo << 2)), owHi - owLo);
          else for (let ow = owLo; ow < owHi; ow++) store<f32>(r + (<usize>ow << 2), load<f32>(<usize>(src + (<isize>(ow * sw) << 2))));
          zeroFloats(r + (<usize>owHi << 2), OW - owHi);
        }
        memory.fill(o + (<usize>(ohHi * OW) << 2), 0, <usize>((OH - ohHi) * OW) << 2);
      }
    }
  }
}

// The adjoint of im2col: out (N, C, H, W) = the sum of every column entry at the input it came from.
export function col2im(cols: usize, N: i32, C: i32, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32,
  OH: i32, OW: i32, out: usize): void {
  const L = OH * OW, plane = H * W;
  memory.fill(out, 0, <usize>(N * C * plane) << 2);
  for (let p = 0; p < N * C; p++) {
    const xBase = out + (<usize>(p * plane) << 2);
    for (let i = 0; i < kh; i++) {
      const ohLo = lowValid(OH, sh, ph, i * dh), ohHi = highValid(OH, H, sh, ph, i * dh, ohLo);
      for (let j = 0; j < kw; j++) {
        const owLo = lowValid(OW, sw, pw, j * dw), owHi = highValid(OW, W, sw, pw, j * dw, owLo);
        const o = cols + (<usize>((p * kh + i) * kw + j) * <usize>L << 2);
        for (let oh = ohLo; oh < ohHi; oh++) {
          const r = o + (<usize>(oh * OW) << 2);
          const dst = <isize>xBase + (<isize>((oh * sh - ph + i * dh) * W - pw + j * dw) << 2);
          if (sw == 1) addFloats(<usize>(dst + (<isize>owLo << 2)), r + (<usize>owLo << 2), owHi - owLo);
          else for (let ow = owLo; ow < owHi; ow++) {
            const d = <usize>(dst + (<isize>(ow * sw) << 2));
            store<f32>(d, load<f32>(d) + load<f32>(r + (<usize>ow << 2)));
          }
        }
      }
    }
  }
}

// Max over each window (padding never wins; the first of equal values, and the first NaN, win):
// out (N, C, OH, OW) and idx (the winner's offset h*W + w in its plane, -1 for an all-padding window).
export function maxPool2d(x: usize, N: i32, C: i32, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32,
  OH: i32, OW: i32, out: usize, idx: usize): void {
  if (kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0 && dh == 1 && dw == 1) {
    maxPool2x2(x, N * C, H, W, OH, OW, out, idx);
    return;
  }
  const plane = H * W, L = OH * OW;
  for (let p = 0; p < N * C; p++) {
    const xBase = x + (<usize>(p * plane) << 2), oBase = <usize>(p * L) << 2;
    for (let oh = 0; oh < OH; oh++) {
      // the kernel rows (then columns) whose input lies inside the image
      const iLo = windowLow(kh, H, dh, ph, oh * sh), iHi = windowHigh(kh, H, dh, ph, oh * sh, iLo);
      for (let ow = 0; ow < OW; ow++) {
        const jLo = windowLow(kw, W, dw, pw, ow * sw), jHi = windowHigh(kw, W, dw, pw, ow * sw, jLo);
        let best = -Infinity as f32, at = -1;
        for (let i = iLo; i < iHi; i++) {
          const h = oh * sh - ph + i * dh;
          for (let j = jLo; j < jHi; j++) {
            const ww = ow * sw - pw + j * dw;
            const v = load<f32>(xBase + (<usize>(h * W + ww) << 2));
            // branch-free (random data mispredicts): take v if first, larger, or the first NaN
            const take = <i32>(at < 0) | <i32>(v > best) | (<i32>(v != v) & <i32>(best == best));
            best = select<f32>(v, best, take != 0);
            at = select<i32>(h * W + ww, at, take != 0);
          }
        }
        const k = oBase + (<usize>(oh * OW + ow) << 2);
        store<f32>(out + k, best);
        store<i32>(idx + k, at);
      }
    }
  }
}

// The take rule of max pooling for four windows at once: t wins where larger, or the first NaN.
@inline function takeMask(t: v128, best: v128): v128 {
  return v128.or(f32x4.gt(t, best), v128.and(f32x4.ne(t, t), f32x4.eq(best, best)));
}

// maxPool2d for the CNN's pool (2x2 windows, stride 2, no padding or dilation: every window lies
// inside its plane), four output columns at a time; the taps in the general loop's order, so
// ties and NaN resolve the same way.
function maxPool2x2(x: usize, planes: i32, H: i32, W: i32, OH: i32, OW: i32, out: usize, idx: usize): void {
  const plane = H * W, L = OH * OW, OW4 = OW & ~3;
  const lanes = i32x4(0, 2, 4, 6), one = i32x4.splat(1), down = i32x4.splat(W);
  for (let p = 0; p < planes; p++) {
    const xBase = x + (<usize>(p * plane) << 2), oBase = <usize>(p * L) << 2;
    for (let oh = 0; oh < OH; oh++) {
      const r0 = xBase + (<usize>(2 * oh * W) << 2), r1 = r0 + (<usize>W << 2);
      const o = oBase + (<usize>(oh * OW) << 2);
      let ow = 0;
      for (; ow < OW4; ow += 4) {
        const at = <usize>ow << 3;
        const a0 = v128.load(r0 + at), a1 = v128.load(r0 + at + 16), b0 = v128.load(r1 + at), b1 = v128.load(r1 + at + 16);
        const p0 = i32x4.add(i32x4.splat(2 * oh * W + 2 * ow), lanes), p2 = i32x4.add(p0, down);
        let best = i32x4.shuffle(a0, a1, 0, 2, 4, 6), pos = p0;
        let t = i32x4.shuffle(a0, a1, 1, 3, 5, 7), m = takeMask(t, best);
        best = v128.bitselect(t, best, m); pos = v128.bitselect(i32x4.add(p0, one), pos, m);
        t = i32x4.shuffle(b0, b1, 0, 2, 4, 6); m = takeMask(t, best);
        best = v128.bitselect(t, best, m); pos = v128.bitselect(p2, pos, m);
        t = i32x4.shuffle(b0, b1, 1, 3, 5, 7); m = takeMask(t, best);
        best = v128.bitselect(t, best, m); pos = v128.bitselect(i32x4.add(p2, one), pos, m);
        v128.store(out + o + (<usize>ow << 2), best);
        v128.store(idx + o + (<usize>ow << 2), pos);
      }
      for (; ow < OW; ow++) {
        let best = -Infinity as f32, at = -1;
        for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) {
          const q = (2 * oh + i) * W + 2 * ow + j, v = load<f32>(xBase + (<usize>q << 2));
          const take = <i32>(at < 0) | <i32>(v > best) | (<i32>(v != v) & <i32>(best == best));
          best = select<f32>(v, best, take != 0);
          at = select<i32>(q, at, take != 0);
        }
        store<f32>(out + o + (<usize>ow << 2), best);
        store<i32>(idx + o + (<usize>ow << 2), at);
      }
    }
  }
}

// out (N, C, H, W) = g (N, C, OH, OW) routed to the positions in idx, summed. Answers 0, or 1
// (out unfinished) at an index outside its plane, which would write beyond out.
export function maxPool2dBackward(g: usize, idx: usize, N: i32, C: i32, H: i32, W: i32, OH: i32, OW: i32, out: usize): i32 {
  const plane = H * W, L = OH * OW;
  memory.fill(out, 0, <usize>(N * C * plane) << 2);
  for (let p = 0; p < N * C; p++) {
    const xBase = out + (<usize>(p * plane) << 2), oBase = <usize>(p * L) << 2;
    for (let k = 0; k < L; k++) {
      const at = load<i32>(idx + oBase + (<usize>k << 2));
      if (at >= plane) return 1;
      if (at >= 0) {
        const d = xBase + (<usize>at << 2);
        store<f32>(d, load<f32>(d) + load<f32>(g + oBase + (<usize>k << 2)));
      }
    }
  }
  return 0;
}

// Mean over each window, padding counted as zeros; summed in float64 as the reference does.
export function avgPool2d(x: usize, N: i32, C: i32, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32,
  OH: i32, OW: i32, out: usize): void {
  const plane = H * W, L = OH * OW, inv = 1.0 / <f64>(kh * kw);
  for (let p = 0; p < N * C; p++) {
    const xBase = x + (<usize>(p * plane) << 2), oBase = out + (<usize>(p * L) << 2);
    for (let oh = 0; oh < OH; oh++) {
      // the kernel rows (then columns) whose input lies inside the image
      const iLo = windowLow(kh, H, dh, ph, oh * sh), iHi = windowHigh(kh, H, dh, ph, oh * sh, iLo);
      for (let ow = 0; ow < OW; ow++) {
        const jLo = windowLow(kw, W, dw, pw, ow * sw), jHi = windowHigh(kw, W, dw, pw, ow * sw, jLo);
        let s: f64 = 0;
        for (let i = iLo; i < iHi; i++) {
          const h = oh * sh - ph + i * dh;
          for (let j = jLo; j < jHi; j++) s += <f64>load<f32>(xBase + (<usize>(h * W + ow * sw - pw + j * dw) << 2));
        }
        store<f32>(oBase + (<usize>(oh * OW + ow) << 2), <f32>(s * inv));
      }
    }
  }
}

// The backward of avgPool2d: out (N, C, H, W).
export function avgPool2dBackward(g: usize, N: i32, C: i32, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32,
  OH: i32, OW: i32, out: usize): void {
  const plane = H * W, L = OH * OW, inv = 1.0 / <f64>(kh * kw);
  memory.fill(out, 0, <usize>(N * C * plane) << 2);
  for (let p = 0; p < N * C; p++) {
    const xBase = out + (<usize>(p * plane) << 2), gBase = g + (<usize>(p * L) << 2);
    for (let oh = 0; oh < OH; oh++) {
      // the kernel rows (then columns) whose input lies inside the image
      const iLo = windowLow(kh, H, dh, ph, oh * sh), iHi = windowHigh(kh, H, dh, ph, oh * sh, iLo);
      for (let ow = 0; ow < OW; ow++) {
        const jLo = windowLow(kw, W, dw, pw, ow * sw), jHi = windowHigh(kw, W, dw, pw, ow * sw, jLo);
        const v = <f64>load<f32>(gBase + (<usize>(oh * OW + ow) << 2)) * inv;
        for (let i = iLo; i < iHi; i++) {
          const h = oh * sh - ph + i * dh;
          for (let j = jLo; j < jHi; j++) {
            const d = xBase + (<usize>(h * W + ow * sw - pw + j * dw) << 2);
            store<f32>(d, <f32>(<f64>load<f32>(d) + v));
          }
        }
      }
    }
  }
}

// ---- batch norm over channels: x viewed as (N, C, L), statistics per channel ----------------

// Sum of n floats at a, two float64x2 accumulators (a channel of a batch has ~100k values).
@inline function sumRow(a: usize, n: i32): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  const end = <usize>n << 2, end4 = <usize>(n & ~3) << 2;
  let o: usize = 0;
  for (; o < end4; o += 16) {
    const v = v128.load(a + o);
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
    s1 = f64x2.add(s1, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)));
  }
  let s = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1) + f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1);
  for (; o < end; o += 4) s += <f64>load<f32>(a + o);
  return s;
}

// Sum of (a - mu) * (b - nu) over n floats, in float64 (the variance with b = a, nu = mu; sum g * (x - mu) with nu = 0).
@inline function sumProducts(a: usize, mu: f64, b: usize, nu: f64, n: i32): f64 {
  const m = f64x2.splat(mu), q = f64x2.splat(nu);
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  const end = <usize>n << 2, end4 = <usize>(n & ~3) << 2;
  let o: usize = 0;
  for (; o < end4; o += 16) {
    const va = v128.load(a + o), vb = v128.load(b + o);
    const a0 = f64x2.sub(f64x2.promote_low_f32x4(va), m), a1 = f64x2.sub(f64x2.promote_low_f32x4(i32x4.shuffle(va, va, 2, 3, 0, 1)), m);
    const b0 = f64x2.sub(f64x2.promote_low_f32x4(vb), q), b1 = f64x2.sub(f64x2.promote_low_f32x4(i32x4.shuffle(vb, vb, 2, 3, 0, 1)), q);
    s0 = f64x2.add(s0, f64x2.mul(a0, b0));
    s1 = f64x2.add(s1, f64x2.mul(a1, b1));
  }
  let s = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1) + f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1);
  for (; o < end; o += 4) s += (<f64>load<f32>(a + o) - mu) * (<f64>load<f32>(b + o) - nu);
  return s;
}

// out = (x - m) * scale + shift over n floats (centred first: x * scale + shift' would cancel digits when the mean is large).
@inline function affineRow(x: usize, m: f32, scale: f32, shift: f32, out: usize, n: i32): void {
  const mv = f32x4.splat(m), sv = f32x4.splat(scale), tv = f32x4.splat(shift);
  const end = <usize>n << 2, end4 = <usize>(n & ~3) << 2;
  let o: usize = 0;
  for (; o < end4; o += 16) v128.store(out + o, f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + o), mv), sv), tv));
  for (; o < end; o += 4) store<f32>(out + o, (load<f32>(x + o) - m) * scale + shift);
}

// weight, bias: C floats or 0 for none. With batchStats, mean and rstd are written from x
// (two passes: the mean, then squared deviations from it); otherwise they are read.
export function batchNorm(x: usize, N: i32, C: i32, L: i32, weight: usize, bias: usize, eps: f64, batchStats: bool,
  mean: usize, rstd: usize, out: usize): void {
  const count = <f64>N * <f64>L, rowBytes = <usize>L << 2, step = <usize>C * rowBytes;
  for (let c = 0; c < C; c++) {
    const first = <usize>c * rowBytes;
    if (batchStats) {
      let s: f64 = 0;
      for (let n = 0; n < N; n++) s += sumRow(x + first + <usize>n * step, L);
      const mu = s / count;
      let v: f64 = 0;
      for (let n = 0; n < N; n++) {
        const a = x + first + <usize>n * step;
        v += sumProducts(a, mu, a, mu, L);
      }
      store<f32>(mean + (<usize>c << 2), <f32>mu);
      store<f32>(rstd + (<usize>c << 2), <f32>(1.0 / Math.sqrt(v / count + eps)));
    }
    const scale = <f64>load<f32>(rstd + (<usize>c << 2)) * (weight ? <f64>load<f32>(weight + (<usize>c << 2)) : 1.0);
    const shift = bias ? load<f32>(bias + (<usize>c << 2)) : 0, m = load<f32>(mean + (<usize>c << 2));
    for (let n = 0; n < N; n++) affineRow(x + first + <usize>n * step, m, <f32>scale, shift, out + first + <usize>n * step, L);
  }
}

// dx, and dweight/dbias (0 for none). With batchStats the statistics' gradient is included.
export function batchNormBackward(g: usize, x: usize, N: i32, C: i32, L: i32, weight: usize, batchStats: bool,
  mean: usize, rstd: usize, dx: usize, dweight: usize, dbias: usize): void {
  const count = <f64>N * <f64>L, rowBytes = <usize>L << 2, step = <usize>C * rowBytes;
  for (let c = 0; c < C; c++) {
    const first = <usize>c * rowBytes;
    const mu = <f64>load<f32>(mean + (<usize>c << 2)), rs = <f64>load<f32>(rstd + (<usize>c << 2));
    const w = weight ? <f64>load<f32>(weight + (<usize>c << 2)) : 1.0;
    let sumG: f64 = 0, sumGX: f64 = 0;
    for (let n = 0; n < N; n++) {
      const at = first + <usize>n * step;
      sumG += sumRow(g + at, L);
      sumGX += sumProducts(x + at, mu, g + at, 0, L);
    }
    sumGX *= rs;
    if (dweight) store<f32>(dweight + (<usize>c << 2), <f32>sumGX);
    if (dbias) store<f32>(dbias + (<usize>c << 2), <f32>sumG);
    const k = rs * w;
    // dx = k * (g - mean(g) - (x - mu) * rs * mean(g * xhat)) = k*g + (x - mu) * a + b, folded per channel
    const a = batchStats ? -k * rs * (sumGX / count) : 0, b = batchStats ? -k * (sumG / count) : 0;
    const mf = <f32>mu, mv = f32x4.splat(mf), kv = f32x4.splat(<f32>k), av = f32x4.splat(<f32>a), bv = f32x4.splat(<f32>b);
    const end = <usize>L << 2, end4 = <usize>(L & ~3) << 2;
    for (let n = 0; n < N; n++) {
      const at = first + <usize>n * step;
      let o: usize = 0;
      for (; o < end4; o += 16) {
        const gv = v128.load(g + at + o), xv = v128.load(x + at + o);
        v128.store(dx + at + o, f32x4.add(f32x4.mul(gv, kv), f32x4.add(f32x4.mul(f32x4.sub(xv, mv), av), bv)));
      }
      for (; o < end; o += 4) store<f32>(dx + at + o, load<f32>(g + at + o) * <f32>k + ((load<f32>(x + at + o) - mf) * <f32>a + <f32>b));
    }
  }
}
