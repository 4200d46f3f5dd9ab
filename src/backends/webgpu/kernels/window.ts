import type { Window2d } from '../../backend.js';
import type { GpuArray, KernelContext, Word } from '../kernel-context.js';
import { F32_LOWEST, WG, elementGrid, kernel, u32s } from './grid.js';

/**
 * The sliding-window kernels of conv nets: im2col, col2im, max and average pooling and their
 * backward passes. One invocation per element written. The adjoints (col2im and the pooling
 * backwards) gather rather than scatter: each input position sums the window entries that read
 * it (the outputs oh with oh * sh - ph + i * dh = h, found by division), so overlapping windows
 * need no atomics and every element is written exactly once.
 */

// the Window2d, then how many elements are written, the offsets of the arrays a, b, c and the pooling mode
const WINDOW_UNIFORMS = 'N: u32, C: u32, H: u32, W: u32, kh: u32, kw: u32, sh: u32, sw: u32, ph: u32, pw: u32, dh: u32, dw: u32, '
  + 'OH: u32, OW: u32, total: u32, aOff: u32, bOff: u32, cOff: u32, avg: u32';

const TAPS = /* wgsl */ `
// the output position along one axis whose window's tap k reads input position p, or -1
fn tapOut(p: u32, k: u32, stride: u32, pad: u32, dil: u32, outSize: u32) -> i32 {
  let q = i32(p) + i32(pad) - i32(k * dil);
  if (q < 0 || q % i32(stride) != 0) { return -1; }
  let o = q / i32(stride);
  if (o >= i32(outSize)) { return -1; }
  return o;
}
// the input position along one axis read by output o's tap k, or -1 in the padding
fn tapIn(o: u32, k: u32, stride: u32, pad: u32, dil: u32, inSize: u32) -> i32 {
  let p = i32(o * stride + k * dil) - i32(pad);
  if (p < 0 || p >= i32(inSize)) { return -1; }
  return p;
}`;

/**
 * WGSL running `statement` for every window tap (i, j) that reads input position (h, w), with
 * that window's output position (oh, ow): the gather behind the adjoints.
 */
function eachTapReading(statement: string): string {
  return `
  for (var i = 0u; i < u.kh; i++) {
    let oh = tapOut(h, i, u.sh, u.ph, u.dh, u.OH);
    if (oh < 0) { continue; }
    for (var j = 0u; j < u.kw; j++) {
      let ow = tapOut(w, j, u.sw, u.pw, u.dw, u.OW);
      if (ow < 0) { continue; }
      ${statement}
    }
  }`;
}

// every window kernel: one invocation per element written, e < total
const ELEMENT = /* wgsl */ `
  let e = group * ${WG}u + lid;
  if (e >= u.total) { return; }`;

// a: x, c: out (N, C*kh*kw, OH*OW)
const IM2COL = kernel({
  uniforms: WINDOW_UNIFORMS,
  arrays: ['x', 'out rw'],
  prelude: TAPS,
  body: ELEMENT + /* wgsl */ `
  let L = u.OH * u.OW;
  let ow = e % u.OW; let oh = (e / u.OW) % u.OH;
  let row = e / L; // ((n * C + c) * kh + i) * kw + j
  let j = row % u.kw; let i = (row / u.kw) % u.kh; let plane = row / (u.kw * u.kh);
  let h = tapIn(oh, i, u.sh, u.ph, u.dh, u.H);
  let w = tapIn(ow, j, u.sw, u.pw, u.dw, u.W);
  var v = 0.0;
  if (h >= 0 && w >= 0) { v = x[u.aOff + plane * u.H * u.W + u32(h) * u.W + u32(w)]; }
  out[u.cOff + e] = v;`,
});

// a: cols, c: out (N, C, H, W)
const COL2IM = kernel({
  uniforms: WINDOW_UNIFORMS,
  arrays: ['cols', 'out rw'],
  prelude: TAPS,
  body: ELEMENT + /* wgsl */ `
  let w = e % u.W; let h = (e / u.W) % u.H; let plane = e / (u.H * u.W);
  let L = u.OH * u.OW;
  var s = 0.0;
${eachTapReading(`s += cols[u.aOff + ((plane * u.kh + i) * u.kw + j) * L + u32(oh) * u.OW + u32(ow)];`)}
  out[u.cOff + e] = s;`,
});

// a: x, c: out (N, C, OH, OW), b: idx; avg = 1 computes the mean instead (idx unused but bound)
const POOL = kernel({
  uniforms: WINDOW_UNIFORMS,
  arrays: ['x', 'out rw', 'idx rw i32'],
  prelude: TAPS,
  body: ELEMENT + /* wgsl */ `
  let ow = e % u.OW; let oh = (e / u.OW) % u.OH; let plane = e / (u.OH * u.OW);
  let xb = u.aOff + plane * u.H * u.W;
  var best = ${F32_LOWEST};
  var at = -1;
  var s = 0.0;
  for (var i = 0u; i < u.kh; i++) {
    let h = tapIn(oh, i, u.sh, u.ph, u.dh, u.H);
    if (h < 0) { continue; }
    for (var j = 0u; j < u.kw; j++) {
      let w = tapIn(ow, j, u.sw, u.pw, u.dw, u.W);
      if (w < 0) { continue; }
      let v = x[xb + u32(h) * u.W + u32(w)];
      s += v;
      // the first NaN wins, so it propagates (as in PyTorch)
      if (at < 0 || v > best || (v != v && best == best)) { best = v; at = h * i32(u.W) + w; }
    }
  }
  if (u.avg == 1u) {
    out[u.cOff + e] = s / f32(u.kh * u.kw);
  } else {
    out[u.cOff + e] = best;
    idx[u.bOff + e] = at;
  }`,
});

// a: g (N, C, OH, OW), b: idx, c: out (N, C, H, W); avg = 1 spreads g / (kh * kw) over each window instead
const POOL_BACKWARD = kernel({
  uniforms: WINDOW_UNIFORMS,
  arrays: ['g', 'idx i32', 'out rw'],
  prelude: TAPS,
  body: ELEMENT + /* wgsl */ `
  let w = e % u.W; let h = (e / u.W) % u.H; let plane = e / (u.H * u.W);
  let here = i32(h * u.W + w);
  let gb = plane * u.OH * u.OW;
  var s = 0.0;
${eachTapReading(`
      let o = gb + u32(oh) * u.OW + u32(ow);
      if (u.avg == 1u) { s += g[u.aOff + o]; }
      else if (idx[u.bOff + o] == here) { s += g[u.aOff + o]; }`)}
  if (u.avg == 1u) { s /= f32(u.kh * u.kw); }
  out[u.cOff + e] = s;`,
});

/** One dispatch over `total` elements; a, b, c are the arrays whose offsets the kernel reads as aOff, bOff, cOff. */
function run(ctx: KernelContext, wgsl: string, arrays: GpuArray[], w: Window2d, total: number,
  a: GpuArray, b: GpuArray, c: GpuArray, avg = false): void {
  if (total === 0) return;
  const words: Word[] = u32s(w.N, w.C, w.H, w.W, w.kh, w.kw, w.sh, w.sw, w.ph, w.pw, w.dh, w.dw, w.OH, w.OW,
    total, a.offset, b.offset, c.offset, avg ? 1 : 0);
  ctx.dispatch(wgsl, arrays, words, elementGrid(total, WG, ctx.limits));
}

/** Backend.im2col: out (N, C*kh*kw, OH*OW). */
export function im2col(ctx: KernelContext, x: GpuArray, w: Window2d, out: GpuArray): void {
  run(ctx, IM2COL, [x, out], w, w.N * w.C * w.kh * w.kw * w.OH * w.OW, x, x, out);
}

/** Backend.col2im: out (N, C, H, W), the adjoint of im2col. */
export function col2im(ctx: KernelContext, cols: GpuArray, w: Window2d, out: GpuArray): void {
  run(ctx, COL2IM, [cols, out], w, w.N * w.C * w.H * w.W, cols, cols, out);
}

/** Backend.maxPool2d: out (N, C, OH, OW) and idx, the position h*W + w of each max in its plane (first wins ties). */
export function maxPool2d(ctx: KernelContext, x: GpuArray, w: Window2d, out: GpuArray, idx: GpuArray): void {
  run(ctx, POOL, [x, out, idx], w, w.N * w.C * w.OH * w.OW, x, idx, out);
}

/** Backend.maxPool2dBackward: out (N, C, H, W) = g routed to the positions in idx, summed. */
export function maxPool2dBackward(ctx: KernelContext, g: GpuArray, idx: GpuArray, w: Window2d, out: GpuArray): void {
  run(ctx, POOL_BACKWARD, [g, idx, out], w, w.N * w.C * w.H * w.W, g, idx, out);
}

/** Backend.avgPool2d: the mean over each window, padding counted as zeros. */
export function avgPool2d(ctx: KernelContext, x: GpuArray, w: Window2d, out: GpuArray): void {
  const unusedIdx = ctx.scratch(1);
  run(ctx, POOL, [x, out, unusedIdx], w, w.N * w.C * w.OH * w.OW, x, unusedIdx, out, true);
}

/** Backend.avgPool2dBackward: out (N, C, H, W). */
export function avgPool2dBackward(ctx: KernelContext, g: GpuArray, w: Window2d, out: GpuArray): void {
  run(ctx, POOL_BACKWARD, [g, g, out], w, w.N * w.C * w.H * w.W, g, g, out, true);
}
