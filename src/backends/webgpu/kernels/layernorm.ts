import type { GpuArray, KernelContext } from '../kernel-context.js';
import { sumChunks } from './column-sums.js';
import { WG, ceilDiv, grid, kernel, u32s } from './grid.js';

/**
 * Layer norm over the last dim, forward and backward. Rows are independent: one workgroup of 256
 * per row, the row's sums as workgroup reductions (mean first, then the variance around it: two
 * passes, as exact as the reference's). dweight and dbias are sums over rows, i.e. down columns:
 * the backward writes per-chunk column sums of CHUNK rows into scratch (one invocation per column,
 * neighbours on neighbouring columns), and sumChunks adds the chunks into dweight / dbias,
 * so no invocation loops over all rows and nothing needs atomics.
 * A missing weight or bias is a flag in the uniforms; x stands in for its binding.
 */

const FORWARD = kernel({
  uniforms: 'rows: u32, cols: u32, xOff: u32, wOff: u32, bOff: u32, '
    + 'outOff: u32, meanOff: u32, rstdOff: u32, hasW: u32, hasB: u32, eps: f32',
  arrays: ['x', 'weight', 'bias', 'out rw', 'mean rw', 'rstd rw'],
  reduce: true,
  body: /* wgsl */ `
  let row = group;
  if (row >= u.rows) { return; }
  let xb = u.xOff + row * u.cols;
  let n = f32(u.cols);
  var s = 0.0;
  for (var j = lid; j < u.cols; j += ${WG}u) { s += x[xb + j]; }
  let mu = reduceSum(s, lid) / n;
  var q = 0.0;
  for (var j = lid; j < u.cols; j += ${WG}u) { let d = x[xb + j] - mu; q += d * d; }
  let rs = 1.0 / sqrt(reduceSum(q, lid) / n + u.eps);
  if (lid == 0u) { mean[u.meanOff + row] = mu; rstd[u.rstdOff + row] = rs; }
  let ob = u.outOff + row * u.cols;
  for (var j = lid; j < u.cols; j += ${WG}u) {
    var y = (x[xb + j] - mu) * rs;
    if (u.hasW == 1u) { y *= weight[u.wOff + j]; }
    if (u.hasB == 1u) { y += bias[u.bOff + j]; }
    out[ob + j] = y;
  }`,
});

const BACKWARD_DX = kernel({
  uniforms: 'rows: u32, cols: u32, gOff: u32, xOff: u32, wOff: u32, meanOff: u32, rstdOff: u32, dxOff: u32, hasW: u32',
  arrays: ['g', 'x', 'weight', 'mean', 'rstd', 'dx rw'],
  reduce: true,
  prelude: /* wgsl */ `
fn w(j: u32) -> f32 {
  if (u.hasW == 1u) { return weight[u.wOff + j]; }
  return 1.0;
}`,
  body: /* wgsl */ `
  let row = group;
  if (row >= u.rows) { return; }
  let b = row * u.cols;
  let mu = mean[u.meanOff + row];
  let rs = rstd[u.rstdOff + row];
  // dxhat = g * w;  dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
  var sd = 0.0;
  var sdx = 0.0;
  for (var j = lid; j < u.cols; j += ${WG}u) {
    let xhat = (x[u.xOff + b + j] - mu) * rs;
    let d = g[u.gOff + b + j] * w(j);
    sd += d;
    sdx += d * xhat;
  }
  let n = f32(u.cols);
  let md = reduceSum(sd, lid) / n;
  let mdx = reduceSum(sdx, lid) / n;
  for (var j = lid; j < u.cols; j += ${WG}u) {
    let xhat = (x[u.xOff + b + j] - mu) * rs;
    let d = g[u.gOff + b + j] * w(j);
    dx[u.dxOff + b + j] = rs * (d - md - xhat * mdx);
  }`,
});

/** Rows per partial column sum of dweight / dbias. */
const CHUNK = 64;

// partial (2, chunks, cols): [0] = sum of g * xhat, [1] = sum of g, over each chunk's rows
const BACKWARD_PARTIAL = /* wgsl */ `
struct U { rows: u32, cols: u32, gOff: u32, xOff: u32, meanOff: u32, rstdOff: u32, chunks: u32, partOff: u32 }
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> rstd: array<f32>;
@group(0) @binding(4) var<storage, read_write> partial: array<f32>;
@group(0) @binding(5) var<uniform> u: U;

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let j = wid.x * ${WG}u + lid;
  let chunk = wid.y;
  if (j >= u.cols) { return; }
  let r0 = chunk * ${CHUNK}u;
  let r1 = min(r0 + ${CHUNK}u, u.rows);
  var sgx = 0.0;
  var sg = 0.0;
  for (var r = r0; r < r1; r++) {
    let gi = g[u.gOff + r * u.cols + j];
    sgx += gi * (x[u.xOff + r * u.cols + j] - mean[u.meanOff + r]) * rstd[u.rstdOff + r];
    sg += gi;
  }
  partial[u.partOff + chunk * u.cols + j] = sgx;
  partial[u.partOff + (u.chunks + chunk) * u.cols + j] = sg;
}`;

/** Backend.layerNorm: out = (x - mean) * rstd * weight + bias per row; writes mean and rstd. */
export function layerNorm(ctx: KernelContext, x: GpuArray, weight: GpuArray | null, bias: GpuArray | null, rows: number, cols: number,
  eps: number, out: GpuArray, mean: GpuArray, rstd: GpuArray): void {
  if (rows === 0) return;
  const w = weight ?? x, b = bias ?? x;
  ctx.dispatch(FORWARD, [x, w, b, out, mean, rstd],
    [...u32s(rows, cols, x.offset, w.offset, b.offset, out.offset, mean.offset, rstd.offset, weight ? 1 : 0, bias ? 1 : 0), { f32: eps }],
    grid(rows, ctx.limits));
}

/** Backend.layerNormBackward: writes dx; adds into dweight and dbias when given. */
export function layerNormBackward(ctx: KernelContext, g: GpuArray, x: GpuArray, weight: GpuArray | null, mean: GpuArray, rstd: GpuArray,
  rows: number, cols: number, dx: GpuArray, dweight: GpuArray | null, dbias: GpuArray | null): void {
  if (rows === 0 || cols === 0) return;
  const w = weight ?? x;
  ctx.dispatch(BACKWARD_DX, [g, x, w, mean, rstd, dx],
    u32s(rows, cols, g.offset, x.offset, w.offset, mean.offset, rstd.offset, dx.offset, weight ? 1 : 0), grid(rows, ctx.limits));
  if (!dweight && !dbias) return;
  const chunks = ceilDiv(rows, CHUNK);
  if (chunks > ctx.limits.maxComputeWorkgroupsPerDimension) throw new Error(`webgpu layerNormBackward: ${rows} rows are more than a dispatch covers`);
  const partial = ctx.scratch(2 * chunks * cols);
  ctx.dispatch(BACKWARD_PARTIAL, [g, x, mean, rstd, partial],
    u32s(rows, cols, g.offset, x.offset, mean.offset, rstd.offset, chunks, partial.offset), [ceilDiv(cols, WG), chunks]);
  if (dweight) sumChunks(ctx, partial, chunks, cols, dweight, true);
  if (dbias) sumChunks(ctx, { ...partial, offset: partial.offset + chunks * cols }, chunks, cols, dbias, true);
}
