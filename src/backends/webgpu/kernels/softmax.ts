import type { GpuArray, KernelContext } from '../kernel-context.js';
import { F32_LOWEST, WG, grid, kernel, u32s } from './grid.js';

/**
 * Row softmax, log-softmax and attention's scaled causal softmax: one kernel, one workgroup of
 * 256 invocations per row (a row's max and sum are workgroup reductions; each invocation walks
 * the row with stride 256, so reads coalesce). Plain softmax is scale 1 without a mask; the mode
 * is a uniform so all three share one pipeline.
 */
const SOURCE = kernel({
  uniforms: 'rows: u32, cols: u32, xOff: u32, outOff: u32, queries: u32, logOut: u32, scale: f32',
  arrays: ['x', 'out rw'],
  reduce: true,
  body: /* wgsl */ `
  let row = group;
  if (row >= u.rows) { return; }
  let xb = u.xOff + row * u.cols;
  let ob = u.outOff + row * u.cols;
  // causal: row r of a block of 'queries' sees the first cols - queries + r % queries + 1 entries
  var limit = u.cols;
  if (u.queries > 0u) { limit = u.cols - u.queries + row % u.queries + 1u; }
  var mx = ${F32_LOWEST};
  for (var j = lid; j < limit; j += ${WG}u) { mx = max(mx, x[xb + j]); }
  mx = reduceMax(mx, lid);
  var s = 0.0;
  for (var j = lid; j < limit; j += ${WG}u) { s += exp((x[xb + j] - mx) * u.scale); }
  s = reduceSum(s, lid);
  if (u.logOut == 1u) {
    let lse = log(s);
    for (var j = lid; j < limit; j += ${WG}u) { out[ob + j] = (x[xb + j] - mx) * u.scale - lse; }
  } else {
    let inv = 1.0 / s;
    for (var j = lid; j < limit; j += ${WG}u) { out[ob + j] = exp((x[xb + j] - mx) * u.scale) * inv; }
  }
  for (var j = limit + lid; j < u.cols; j += ${WG}u) { out[ob + j] = 0.0; }`,
});

function rowSoftmax(ctx: KernelContext, x: GpuArray, rows: number, cols: number, scale: number, queries: number, log: boolean, out: GpuArray): void {
  if (rows === 0 || cols === 0) return;
  ctx.dispatch(SOURCE, [x, out], [...u32s(rows, cols, x.offset, out.offset, queries, log ? 1 : 0), { f32: scale }], grid(rows, ctx.limits));
}

/** Backend.softmax: row-wise softmax of (rows, cols), or log_softmax with `log`. */
export function softmax(ctx: KernelContext, x: GpuArray, rows: number, cols: number, out: GpuArray, log: boolean): void {
  rowSoftmax(ctx, x, rows, cols, 1, 0, log, out);
}

/** Backend.scaledSoftmax: softmax(scale * x) over rows, causal in blocks of `queries` rows when queries > 0. */
export function scaledSoftmax(ctx: KernelContext, x: GpuArray, rows: number, cols: number, scale: number, queries: number, out: GpuArray): void {
  rowSoftmax(ctx, x, rows, cols, scale, queries, false, out);
}

/**
 * out = scale * y * (g - sum(g y)) per row, one workgroup per row. With gInOut the gradient is
 * read from out itself (attention's backward works in place over its scratch; a writable binding
 * may not alias another, so a one-element scratch stands in for g).
 */
const BACKWARD = kernel({
  uniforms: 'rows: u32, cols: u32, yOff: u32, gOff: u32, outOff: u32, gInOut: u32, scale: f32',
  arrays: ['y', 'g', 'out rw'],
  reduce: true,
  prelude: /* wgsl */ `
fn gradAt(gi: u32, oi: u32) -> f32 {
  if (u.gInOut == 1u) { return out[oi]; }
  return g[gi];
}`,
  body: /* wgsl */ `
  let row = group;
  if (row >= u.rows) { return; }
  let yb = u.yOff + row * u.cols;
  let gb = u.gOff + row * u.cols;
  let ob = u.outOff + row * u.cols;
  var s = 0.0;
  for (var j = lid; j < u.cols; j += ${WG}u) { s += gradAt(gb + j, ob + j) * y[yb + j]; }
  let dot = reduceSum(s, lid);
  for (var j = lid; j < u.cols; j += ${WG}u) { out[ob + j] = u.scale * y[yb + j] * (gradAt(gb + j, ob + j) - dot); }`,
});

/** Backend.softmaxBackward over (rows, cols); g may be out itself (same buffer and offset): in place. */
export function softmaxBackward(ctx: KernelContext, g: GpuArray, y: GpuArray, rows: number, cols: number, scale: number, out: GpuArray): void {
  if (rows === 0 || cols === 0) return;
  const inPlace = g.buffer === out.buffer && g.offset === out.offset;
  const gb = inPlace ? ctx.scratch(1) : g;
  ctx.dispatch(BACKWARD, [y, gb, out], [...u32s(rows, cols, y.offset, gb.offset, out.offset, inPlace ? 1 : 0), { f32: scale }], grid(rows, ctx.limits));
}
