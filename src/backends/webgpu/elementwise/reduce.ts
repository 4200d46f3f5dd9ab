import type { ReduceOp } from '../../backend.js';
import type { GpuArray, KernelContext } from '../kernel-context.js';
import { MAIN, grid } from './grid.js';

/**
 * Reductions over the middle axis of (outer, dim, inner), one invocation per output element
 * walking its column. Sums are compensated (Kahan), close to the reference's float64
 * accumulation; max and min let NaN win, as the reference does.
 */
const STEP: Record<ReduceOp, string> = {
  sum: 'let y = v - comp; let t = acc + y; comp = (t - acc) - y; acc = t;',
  max: 'if (v > acc || v != v) { acc = v; }',
  min: 'if (v < acc || v != v) { acc = v; }',
};

const HEAD = /* wgsl */ `
struct U { n: u32, dim: u32, inner: u32, xo: u32, oo: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;`;

const walk = (init: string, step: string, result: string, outType: string): string => /* wgsl */ `
${HEAD}
@group(0) @binding(1) var<storage, read_write> out: array<${outType}>;
@group(0) @binding(2) var<uniform> u: U;
${MAIN}
  if (i >= u.n) { return; }
  let o = i / u.inner;
  let base = u.xo + o * u.dim * u.inner + i % u.inner;
  ${init}
  for (var d = 1u; d < u.dim; d++) {
    let v = x[base + d * u.inner];
    ${step}
  }
  out[u.oo + i] = ${result};
}`;

const REDUCE: Record<ReduceOp, string> = {
  sum: walk('var acc = x[base]; var comp = 0.0;', STEP.sum, 'acc', 'f32'),
  max: walk('var acc = x[base];', STEP.max, 'acc', 'f32'),
  min: walk('var acc = x[base];', STEP.min, 'acc', 'f32'),
};

const ARGMAX = walk('var best = x[base]; var arg = 0u;', 'if (v > best) { best = v; arg = d; }', 'i32(arg)', 'i32');

const ZERO = /* wgsl */ `
struct U { n: u32, oo: u32 }
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<uniform> u: U;
${MAIN}
  if (i >= u.n) { return; }
  out[u.oo + i] = 0.0;
}`;

/** out[i] = 0 over out.length elements. */
export function zero(ctx: KernelContext, out: GpuArray): void {
  ctx.dispatch(ZERO, [out], [{ u32: out.length }, { u32: out.offset }], grid(ctx, out.length));
}

/** out (outer, inner) = op over the middle axis of x (outer, dim, inner); a sum over dim 0 is 0. */
export function reduce(ctx: KernelContext, op: ReduceOp, x: GpuArray, outer: number, dim: number, inner: number, out: GpuArray): void {
  if (dim === 0) {
    if (op === 'sum') zero(ctx, out);
    return;
  }
  const n = outer * inner;
  ctx.dispatch(REDUCE[op], [x, out], [{ u32: n }, { u32: dim }, { u32: inner }, { u32: x.offset }, { u32: out.offset }], grid(ctx, n));
}

/** out (outer, inner), i32: the index of the max over the middle axis of x (first wins ties). */
export function argmax(ctx: KernelContext, x: GpuArray, outer: number, dim: number, inner: number, out: GpuArray): void {
  const n = outer * inner;
  ctx.dispatch(ARGMAX, [x, out], [{ u32: n }, { u32: dim }, { u32: inner }, { u32: x.offset }, { u32: out.offset }], grid(ctx, n));
}

const PARTIALS = 256;

/**
 * Sums of many values in two stages: each of up to PARTIALS workgroups per array sums its stride
 * of the array (squared with `square`; compensated), then a tree in workgroup memory writes one
 * partial; then one workgroup sums the partials (`scale` times the total).
 */
const SUM = /* wgsl */ `
struct U { n: u32, xo: u32, oo: u32, square: u32, scale: f32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
var<workgroup> part: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  var comp = 0.0;
  let stride = nwg.x * 256u;
  for (var j = wg.x * 256u + lid; j < u.n; j += stride) {
    let e = x[u.xo + j];
    let v = select(e, e * e, u.square == 1u);
    let y = v - comp; let t = acc + y; comp = (t - acc) - y; acc = t;
  }
  part[lid] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s / 2u) {
    if (lid < s) { part[lid] += part[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { out[u.oo + wg.x] = part[0] * u.scale; }
}`;

/** Stage one over each array into consecutive partials, stage two into out[0] (times scale): one result for all arrays. */
function sumAll(ctx: KernelContext, xs: GpuArray[], square: boolean, out: GpuArray, scale: number): void {
  const groups = xs.map((x) => Math.max(1, Math.min(PARTIALS, Math.ceil(x.length / 1024))));
  const partials = ctx.scratch(groups.reduce((a, b) => a + b, 0));
  let at = 0;
  xs.forEach((x, i) => {
    ctx.dispatch(SUM, [x, partials], [{ u32: x.length }, { u32: x.offset }, { u32: at }, { u32: square ? 1 : 0 }, { f32: 1 }], [groups[i]]);
    at += groups[i];
  });
  ctx.dispatch(SUM, [partials, out], [{ u32: at }, { u32: 0 }, { u32: out.offset }, { u32: 0 }, { f32: scale }], [1]);
}

/** out[0] = the sum of x[i]^2 over every array of xs (a global gradient norm's square). */
export function sumSquares(ctx: KernelContext, xs: GpuArray[], out: GpuArray): void {
  sumAll(ctx, xs, true, out, 1);
}

/** out[0] = scale * the sum of x's elements (a mean, with scale 1/n). */
export function sum(ctx: KernelContext, x: GpuArray, out: GpuArray, scale = 1): void {
  sumAll(ctx, [x], false, out, scale);
}
