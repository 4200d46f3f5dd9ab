import type { GpuArray, KernelContext } from '../kernel-context.js';
import { ceilDiv, memo, u32s } from './grid.js';

/**
 * Batched matmul (and linear: the same kernel with a bias added as the tile is stored).
 *
 * Each workgroup of 16 x 16 invocations computes one BM x BN tile of the output, each invocation
 * TM x TN outputs (rows ly + 16 r, columns lx + 16 c: neighbouring invocations touch neighbouring
 * columns, so stores coalesce and workgroup-memory reads are conflict-free). The k axis is walked
 * in steps of BK: the workgroup stages a BM x BK slice of A and a BK x BN slice of B in workgroup
 * memory (k-major, so the inner loop reads a row of each), then every invocation does TM * TN
 * fused multiply-adds per k from TM + TN reads. Loads are zero-filled outside the matrices, so
 * every edge (m, k, n not multiples of the tile) is handled by the same code, and each variant of
 * the transposes reads memory along its contiguous axis. The inner loop is unrolled in the
 * generated source so the accumulators stay in registers.
 *
 * Two tile shapes: 64 x 64 (4 x 4 per invocation) for small or few tiles, and 128 x 128
 * (8 x 8 per invocation: twice the arithmetic per byte loaded) once there are enough tiles to fill
 * a large GPU (about one per streaming multiprocessor of an H100).
 */

interface Shape { tm: number; tn: number; bk: number }

const SMALL: Shape = { tm: 4, tn: 4, bk: 16 };
const LARGE: Shape = { tm: 8, tn: 8, bk: 8 };
/** Tiles of 128 x 128 are used from this many workgroups on. */
let largeTilesFrom = 132;

/** Sets from how many 128 x 128 tiles the large tile shape is used (tests and benchmarks force one shape); returns the old value. */
export function setLargeTilesFrom(tiles: number): number {
  const old = largeTilesFrom;
  largeTilesFrom = tiles;
  return old;
}

/*
 * The transposes and the bias are uniforms, not variants of the source: A[i, p] is read at
 * i * aRow + p * aCol, and the branch that picks the load order is uniform across the workgroup.
 * One pipeline per tile shape keeps compilation (seconds each on a software adapter) rare.
 */
function source({ tm, tn, bk }: Shape): string {
  const bm = 16 * tm, bn = 16 * tn;
  const aLoads = (bm * bk) / 256, bLoads = (bn * bk) / 256;
  const lines: string[] = [];
  for (let r = 0; r < tm; r++) lines.push(`    let a${r} = As[p * ${bm}u + ly + ${16 * r}u];`);
  for (let c = 0; c < tn; c++) lines.push(`    let b${c} = Bs[p * ${bn}u + lx + ${16 * c}u];`);
  for (let r = 0; r < tm; r++) for (let c = 0; c < tn; c++) lines.push(`    acc${r}_${c} = fma(a${r}, b${c}, acc${r}_${c});`);
  const decl: string[] = [];
  for (let r = 0; r < tm; r++) for (let c = 0; c < tn; c++) decl.push(`  var acc${r}_${c} = 0.0;`);
  const store: string[] = [];
  for (let r = 0; r < tm; r++) {
    store.push(`  { let gi = row0 + ly + ${16 * r}u;`);
    store.push(`    if (gi < u.m) {`);
    for (let c = 0; c < tn; c++) {
      store.push(`      { let gj = col0 + lx + ${16 * c}u; if (gj < u.n) { C[cBase + gi * u.ldc + gj] = acc${r}_${c} + biasOf(gj); } }`);
    }
    store.push('    } }');
  }
  return /* wgsl */ `
// transA / transB / hasBias: 0 or 1
// batch z = wid.z + zBase reads operand X at xOff + (z / inner) * xOuter + (z % inner) * xStride;
// rows of A, B and C are lda, ldb, ldc elements apart
struct U { m: u32, k: u32, n: u32, zBase: u32, inner: u32,
  aOff: u32, lda: u32, aStride: u32, aOuter: u32,
  bOff: u32, ldb: u32, bStride: u32, bOuter: u32,
  cOff: u32, ldc: u32, cStride: u32, cOuter: u32,
  transA: u32, transB: u32, hasBias: u32, biasOff: u32 }
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
@group(0) @binding(4) var<uniform> u: U;
var<workgroup> As: array<f32, ${bm * bk}>;
var<workgroup> Bs: array<f32, ${bn * bk}>;

fn biasOf(j: u32) -> f32 {
  if (u.hasBias == 1u) { return bias[u.biasOff + j]; }
  return 0.0;
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) l: vec3u, @builtin(local_invocation_index) tid: u32) {
  let lx = l.x; let ly = l.y;
  let z = wid.z + u.zBase;
  let zo = z / u.inner; let zi = z % u.inner;
  let row0 = wid.y * ${bm}u; let col0 = wid.x * ${bn}u;
  let aBase = u.aOff + zo * u.aOuter + zi * u.aStride;
  let bBase = u.bOff + zo * u.bOuter + zi * u.bStride;
  let cBase = u.cOff + zo * u.cOuter + zi * u.cStride;
  // element strides of A[i, p] and B[p, j] in memory
  var aRow = u.lda; var aCol = 1u;
  if (u.transA == 1u) { aRow = 1u; aCol = u.lda; }
  var bRow = u.ldb; var bCol = 1u;
  if (u.transB == 1u) { bRow = 1u; bCol = u.ldb; }
${decl.join('\n')}
  for (var p0 = 0u; p0 < u.k; p0 += ${bk}u) {
    for (var q = 0u; q < ${aLoads}u; q++) {
      let e = tid + q * 256u;
      // neighbouring invocations load along A's contiguous axis
      var i = e / ${bk}u; var p = e % ${bk}u;
      if (u.transA == 1u) { i = e % ${bm}u; p = e / ${bm}u; }
      let gi = row0 + i; let gp = p0 + p;
      var v = 0.0;
      if (gi < u.m && gp < u.k) { v = A[aBase + gi * aRow + gp * aCol]; }
      As[p * ${bm}u + i] = v;
    }
    for (var q = 0u; q < ${bLoads}u; q++) {
      let e = tid + q * 256u;
      var j = e % ${bn}u; var p = e / ${bn}u;
      if (u.transB == 1u) { j = e / ${bk}u; p = e % ${bk}u; }
      let gj = col0 + j; let gp = p0 + p;
      var v = 0.0;
      if (gj < u.n && gp < u.k) { v = B[bBase + gp * bRow + gj * bCol]; }
      Bs[p * ${bn}u + j] = v;
    }
    workgroupBarrier();
    for (var p = 0u; p < ${bk}u; p++) {
${lines.join('\n')}
    }
    workgroupBarrier();
  }
${store.join('\n')}
}`;
}

const kernel = memo(source);

/** One operand of gemm: element `at` of `array` onwards, rows `ld` apart, batch z at (z / inner) * outer + (z % inner) * stride. */
export interface Operand { array: GpuArray; at: number; ld: number; stride: number; outer: number }

/**
 * C[z] (m, n) = op(A[z]) (m, k) @ op(B[z]) (k, n) (+ bias) for z < batch, where op transposes
 * (A stored (k, m), B stored (n, k)) when asked. The strided form serves matmul, linear and the
 * attention kernels, whose operands are heads inside qkv rows.
 */
export function gemm(ctx: KernelContext, batch: number, inner: number, m: number, k: number, n: number,
  a: Operand, transA: boolean, b: Operand, transB: boolean, c: Operand, bias: GpuArray | null = null): void {
  if (batch === 0 || m === 0 || n === 0) return;
  const large = ceilDiv(m, 128) * ceilDiv(n, 128) * batch >= largeTilesFrom;
  const shape = large ? LARGE : SMALL;
  const wgsl = kernel(shape);
  const bm = 16 * shape.tm, bn = 16 * shape.tn;
  const gx = ceilDiv(n, bn), gy = ceilDiv(m, bm);
  const max = ctx.limits.maxComputeWorkgroupsPerDimension;
  if (gx > max || gy > max) throw new Error(`webgpu matmul: (${m} x ${n}) has more tiles than a dispatch allows`);
  // without a bias, A stands in for its binding (bound read-only twice, never read through it)
  const arrays = [a.array, b.array, bias ?? a.array, c.array];
  const operand = (o: Operand): number[] => [o.array.offset + o.at, o.ld, o.stride, o.outer];
  for (let z0 = 0; z0 < batch; z0 += max) {
    const uniforms = u32s(m, k, n, z0, inner, ...operand(a), ...operand(b), ...operand(c),
      +transA, +transB, bias ? 1 : 0, bias ? bias.offset : 0);
    ctx.dispatch(wgsl, arrays, uniforms, [gx, gy, Math.min(max, batch - z0)]);
  }
}

/** A dense operand: rows ld apart, batch b at b * stride. */
function dense(array: GpuArray, ld: number, stride: number): Operand {
  return { array, at: 0, ld, stride, outer: 0 };
}

/** Backend.matmul: out (batch, m, n) = A[b] @ B[b], with the transposes and batch strides of the Backend. */
export function matmul(
  ctx: KernelContext, a: GpuArray, b: GpuArray, out: GpuArray,
  batch: number, m: number, k: number, n: number,
  transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number,
): void {
  gemm(ctx, batch, batch, m, k, n, dense(a, transA ? m : k, aBatchStride), transA, dense(b, transB ? k : n, bBatchStride), transB,
    dense(out, n, m * n));
}

/** Backend.linear: out (rows, n) = x (rows, k) @ w^T + bias, w (n, k). */
export function linear(ctx: KernelContext, x: GpuArray, w: GpuArray, bias: GpuArray, out: GpuArray, rows: number, k: number, n: number): void {
  gemm(ctx, 1, 1, rows, k, n, dense(x, k, 0), false, dense(w, k, 0), true, dense(out, n, 0), bias);
}
