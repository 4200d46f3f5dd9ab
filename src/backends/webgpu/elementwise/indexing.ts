import type { GpuArray, KernelContext } from '../kernel-context.js';
import { MAIN, grid } from './grid.js';
import { coalesce, stridedFields, stridedIndex, stridedWords } from './strided.js';

const GATHER = /* wgsl */ `
struct U { n: u32, m: u32, dim: u32, inner: u32, xo: u32, io: u32, oo: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
${MAIN}
  if (i >= u.n) { return; }
  let e = i % u.inner;
  let row = i / u.inner;
  let j = row % u.m;
  let o = row / u.m;
  out[u.oo + i] = x[u.xo + (o * u.dim + u32(idx[u.io + j])) * u.inner + e];
}`;

/** out (outer, m, inner) = x (outer, dim, inner) at rows idx (m i32 indices). */
export function gather(ctx: KernelContext, x: GpuArray, outer: number, dim: number, inner: number, idx: GpuArray, out: GpuArray): void {
  const n = outer * idx.length * inner;
  ctx.dispatch(GATHER, [x, idx, out], [n, idx.length, dim, inner, x.offset, idx.offset, out.offset].map((v) => ({ u32: v })), grid(ctx, n));
}

/**
 * WGSL has no float atomics, so the scatter is turned around: one invocation per element of out
 * (o, d, e) adds the src rows whose index is d, listed by a counting sort of idx done by the
 * caller (rows[starts[d] .. starts[d + 1]]). Work is O(outer * (m + dim) * inner), with no races.
 */
const SCATTER_ADD = /* wgsl */ `
struct U { n: u32, m: u32, dim: u32, inner: u32, so: u32, ro: u32, sto: u32, oo: u32 }
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> rows: array<i32>;
@group(0) @binding(2) var<storage, read> starts: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> u: U;
${MAIN}
  if (i >= u.n) { return; }
  let e = i % u.inner;
  let od = i / u.inner;
  let d = od % u.dim;
  let o = od / u.dim;
  var acc = out[u.oo + i];
  let end = u32(starts[u.sto + d + 1u]);
  for (var k = u32(starts[u.sto + d]); k < end; k++) {
    acc += src[u.so + (o * u.m + u32(rows[u.ro + k])) * u.inner + e];
  }
  out[u.oo + i] = acc;
}`;

/**
 * The rows of idx grouped by value (a counting sort, on the host where the indices are):
 * rows lists j in order of idx[j], and value d's rows are rows[starts[d] .. starts[d + 1]].
 */
export function groupRows(idx: Int32Array, dim: number): { rows: Int32Array; starts: Int32Array } {
  const starts = new Int32Array(dim + 1);
  for (let j = 0; j < idx.length; j++) starts[idx[j] + 1]++;
  for (let d = 0; d < dim; d++) starts[d + 1] += starts[d];
  const fill = starts.slice(0, dim);
  const rows = new Int32Array(idx.length);
  for (let j = 0; j < idx.length; j++) rows[fill[idx[j]]++] = j;
  return { rows, starts };
}

/** out (outer, dim, inner) += src (outer, m, inner) scattered by the grouping of groupRows. */
export function scatterAdd(ctx: KernelContext, src: GpuArray, outer: number, dim: number, inner: number, rows: GpuArray, starts: GpuArray, out: GpuArray): void {
  const n = outer * dim * inner;
  const words = [n, rows.length, dim, inner, src.offset, rows.offset, starts.offset, out.offset].map((v) => ({ u32: v }));
  ctx.dispatch(SCATTER_ADD, [src, rows, starts, out], words, grid(ctx, n));
}

/** A bit copy (f32 and i32 alike) of a strided view into contiguous out. */
const COPY_STRIDED = /* wgsl */ `
struct U {
  n: u32, xo: u32, oo: u32, p: u32,
  ${stridedFields(['sx'])}
}
@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<uniform> u: U;
${MAIN}
  if (i >= u.n) { return; }
  ${stridedIndex(['sx'])}
  out[u.oo + i] = x[u.xo + sxi];
}`;

/** out (contiguous, shape) = the view of x with `strides` from element `offset` (relative to x's start). */
export function copyStrided(ctx: KernelContext, x: GpuArray, shape: number[], strides: number[], offset: number, out: GpuArray): void {
  const c = coalesce(shape, [strides]);
  const words = [{ u32: out.length }, { u32: x.offset + offset }, { u32: out.offset }, { u32: 0 }, ...stridedWords(c.shape, c.strides)];
  ctx.dispatch(COPY_STRIDED, [x, out], words, grid(ctx, out.length));
}
