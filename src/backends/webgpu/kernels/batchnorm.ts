import type { GpuArray, KernelContext } from '../kernel-context.js';
import { sumChunks } from './column-sums.js';
import { WG, elementGrid, grid, kernel, u32s } from './grid.js';

/**
 * Batch norm over channels of x viewed as (N, C, L). A channel's statistics are sums over N * L
 * values spread through memory: one workgroup of 256 per channel reduces them (walking each
 * image's run of L contiguous values), then one invocation per element normalises. The backward
 * is the same split: per-channel sums of g and g * xhat into scratch, then dx per element;
 * dweight and dbias are those sums, copied out.
 */

const CHANNEL_UNIFORMS = 'N: u32, C: u32, L: u32, xOff: u32, gOff: u32, meanOff: u32, rstdOff: u32, sumsOff: u32, eps: f32';
// element e of channel c's N * L values (image e / L, position e % L)
const AT = /* wgsl */ `fn at(e: u32, c: u32) -> u32 { return ((e / u.L) * u.C + c) * u.L + e % u.L; }`;

/** A kernel with one workgroup per channel c, whose `count` = N * L values `body` reduces. */
function channelKernel(arrays: string[], body: string): string {
  return kernel({ uniforms: CHANNEL_UNIFORMS, arrays, reduce: true, prelude: AT, body: /* wgsl */ `
  let c = group;
  if (c >= u.C) { return; }
  let count = u.N * u.L;${body}` });
}

// the batch statistics: mean and rstd of each channel
const STATS = channelKernel(['x', 'mean rw', 'rstd rw'], /* wgsl */ `
  var s = 0.0;
  for (var e = lid; e < count; e += ${WG}u) { s += x[u.xOff + at(e, c)]; }
  let mu = reduceSum(s, lid) / f32(count);
  var q = 0.0;
  for (var e = lid; e < count; e += ${WG}u) { let d = x[u.xOff + at(e, c)] - mu; q += d * d; }
  let rs = 1.0 / sqrt(reduceSum(q, lid) / f32(count) + u.eps);
  if (lid == 0u) { mean[u.meanOff + c] = mu; rstd[u.rstdOff + c] = rs; }`);

// sums[c] = sum(g), sums[C + c] = sum(g * xhat) over channel c
const GRAD_SUMS = channelKernel(['x', 'g', 'mean', 'rstd', 'sums rw'], /* wgsl */ `
  let mu = mean[u.meanOff + c];
  var sg = 0.0;
  var sgx = 0.0;
  for (var e = lid; e < count; e += ${WG}u) {
    let i = at(e, c);
    let gi = g[u.gOff + i];
    sg += gi;
    sgx += gi * (x[u.xOff + i] - mu);
  }
  sg = reduceSum(sg, lid);
  sgx = reduceSum(sgx, lid) * rstd[u.rstdOff + c];
  if (lid == 0u) { sums[u.sumsOff + c] = sg; sums[u.sumsOff + u.C + c] = sgx; }`);

// out = x * scale + shift per channel (grad = 0); dx from g and the channel sums (grad = 1)
const ELEMENTS = kernel({
  uniforms: 'total: u32, C: u32, L: u32, xOff: u32, gOff: u32, wOff: u32, bOff: u32, meanOff: u32, '
    + 'rstdOff: u32, sumsOff: u32, outOff: u32, hasW: u32, hasB: u32, grad: u32, batchStats: u32, count: f32',
  arrays: ['x', 'g', 'weight', 'bias', 'mean', 'rstd', 'sums', 'out rw'],
  body: /* wgsl */ `
  let e = group * ${WG}u + lid;
  if (e >= u.total) { return; }
  let c = (e / u.L) % u.C;
  let mu = mean[u.meanOff + c];
  let rs = rstd[u.rstdOff + c];
  var w = 1.0;
  if (u.hasW == 1u) { w = weight[u.wOff + c]; }
  if (u.grad == 0u) {
    let scale = rs * w;
    var shift = -mu * scale;
    if (u.hasB == 1u) { shift += bias[u.bOff + c]; }
    out[u.outOff + e] = x[u.xOff + e] * scale + shift;
    return;
  }
  let k = rs * w;
  let gi = g[u.gOff + e];
  if (u.batchStats == 0u) { out[u.outOff + e] = gi * k; return; }
  // dx = rstd * w * (g - mean(g) - xhat * mean(g * xhat))
  let mg = sums[u.sumsOff + c] / u.count;
  let mgx = sums[u.sumsOff + u.C + c] / u.count;
  out[u.outOff + e] = k * (gi - mg - (x[u.xOff + e] - mu) * rs * mgx);`,
});

function elements(ctx: KernelContext, x: GpuArray, g: GpuArray, w: GpuArray | null, b: GpuArray | null, mean: GpuArray, rstd: GpuArray,
  sums: GpuArray, out: GpuArray, N: number, C: number, L: number, grad: boolean, batchStats: boolean): void {
  const total = N * C * L;
  if (total === 0) return;
  const wa = w ?? x, ba = b ?? x;
  ctx.dispatch(ELEMENTS, [x, g, wa, ba, mean, rstd, sums, out],
    [...u32s(total, C, L, x.offset, g.offset, wa.offset, ba.offset, mean.offset, rstd.offset, sums.offset, out.offset,
      w ? 1 : 0, b ? 1 : 0, grad ? 1 : 0, batchStats ? 1 : 0), { f32: N * L }],
    elementGrid(total, WG, ctx.limits));
}

/** Backend.batchNorm: per-channel normalisation; with batchStats computes and writes mean and rstd, else reads them. */
export function batchNorm(ctx: KernelContext, x: GpuArray, N: number, C: number, L: number, weight: GpuArray | null, bias: GpuArray | null,
  eps: number, batchStats: boolean, mean: GpuArray, rstd: GpuArray, out: GpuArray): void {
  if (C === 0) return;
  if (batchStats) {
    ctx.dispatch(STATS, [x, mean, rstd], [...u32s(N, C, L, x.offset, 0, mean.offset, rstd.offset, 0), { f32: eps }], grid(C, ctx.limits));
  }
  elements(ctx, x, x, weight, bias, mean, rstd, x, out, N, C, L, false, batchStats);
}

/** Backend.batchNormBackward: writes dx, and dweight / dbias when given. */
export function batchNormBackward(ctx: KernelContext, g: GpuArray, x: GpuArray, N: number, C: number, L: number, weight: GpuArray | null,
  batchStats: boolean, mean: GpuArray, rstd: GpuArray, dx: GpuArray, dweight: GpuArray | null, dbias: GpuArray | null): void {
  if (C === 0) return;
  const sums = ctx.scratch(2 * C);
  ctx.dispatch(GRAD_SUMS, [x, g, mean, rstd, sums],
    [...u32s(N, C, L, x.offset, g.offset, mean.offset, rstd.offset, sums.offset), { f32: 0 }], grid(C, ctx.limits));
  elements(ctx, x, g, weight, null, mean, rstd, sums, dx, N, C, L, true, batchStats);
  if (dbias) sumChunks(ctx, sums, 1, C, dbias, false);
  if (dweight) sumChunks(ctx, { ...sums, offset: sums.offset + C }, 1, C, dweight, false);
}

// the running statistics, one invocation per channel, in place (the batch's mean and rstd as STATS wrote them)
const RUNNING = kernel({
  uniforms: 'C: u32, meanOff: u32, rstdOff: u32, rmOff: u32, rvOff: u32, eps: f32, momentum: f32, unbias: f32',
  arrays: ['mean', 'rstd', 'rm rw', 'rv rw'],
  body: /* wgsl */ `
  let c = group * ${WG}u + lid;
  if (c >= u.C) { return; }
  let rs = rstd[u.rstdOff + c];
  let biasedVar = 1.0 / (rs * rs) - u.eps;
  rm[u.rmOff + c] = (1.0 - u.momentum) * rm[u.rmOff + c] + u.momentum * mean[u.meanOff + c];
  rv[u.rvOff + c] = (1.0 - u.momentum) * rv[u.rvOff + c] + u.momentum * biasedVar * u.unbias;`,
});

/** Backend.batchNormRunningStats: runningMean and runningVar updated in place. */
export function batchNormRunningStats(ctx: KernelContext, mean: GpuArray, rstd: GpuArray, C: number, count: number, eps: number, momentum: number,
  runningMean: GpuArray, runningVar: GpuArray): void {
  if (C === 0) return;
  ctx.dispatch(RUNNING, [mean, rstd, runningMean, runningVar],
    [...u32s(C, mean.offset, rstd.offset, runningMean.offset, runningVar.offset), { f32: eps }, { f32: momentum }, { f32: count / (count - 1) }],
    elementGrid(C, WG, ctx.limits));
}
