import type { GpuArray, KernelContext } from '../kernel-context.js';
import { MAIN, grid } from './grid.js';
import { coalesce, stridedFields, stridedIndex, stridedWords } from './strided.js';

/** out = cond != 0 ? a : b, the three operands broadcast through their strides (as binary's two are). */
const WHERE = /* wgsl */ `
struct U {
  n: u32, co: u32, ao: u32, bo: u32, oo: u32, q0: u32, q1: u32, q2: u32,
  ${stridedFields(['sc', 'sa', 'sb'])}
}
@group(0) @binding(0) var<storage, read> c: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> u: U;
${MAIN}
  if (i >= u.n) { return; }
  ${stridedIndex(['sc', 'sa', 'sb'])}
  // nonzero by its bits, so NaN counts as true (a compiler may treat != on floats as ordered) and -0 as false
  out[u.oo + i] = select(y[u.bo + sbi], x[u.ao + sai], (bitcast<u32>(c[u.co + sci]) & 0x7fffffffu) != 0u);
}`;

/** Backend.where over outShape: cond, a and b read through their strides (0 where broadcast). */
export function where(ctx: KernelContext, cond: GpuArray, condStrides: number[], a: GpuArray, aStrides: number[], b: GpuArray, bStrides: number[],
  out: GpuArray, outShape: number[]): void {
  const { shape, strides } = coalesce(outShape, [condStrides, aStrides, bStrides]);
  const words = [cond.offset, a.offset, b.offset, out.offset, 0, 0, 0].map((u32) => ({ u32 }));
  ctx.dispatch(WHERE, [cond, a, b, out], [{ u32: out.length }, ...words, ...stridedWords(shape, strides)], grid(ctx, out.length));
}
