import type { UnaryOp } from '../../backend.js';
import type { GpuArray, KernelContext } from '../kernel-context.js';
import { MAIN, grid } from './grid.js';

/** Each unary op as a WGSL expression of v, with the reference backend's math (tanh as 1 - 2/(e^2x + 1)). */
const EXPR: Record<UnaryOp, string> = {
  neg: '-v',
  exp: 'exp(v)',
  log: 'log(v)',
  sqrt: 'sqrt(v)',
  tanh: '1.0 - 2.0 / (exp(2.0 * v) + 1.0)',
  sigmoid: '1.0 / (1.0 + exp(-v))',
  relu: 'select(0.0, v, v > 0.0)',
  abs: 'abs(v)',
};

const OPS = Object.keys(EXPR) as UnaryOp[];

/** Every op in one kernel, picked by a uniform (as binary.ts does): one pipeline instead of eight. */
const SOURCE = /* wgsl */ `
struct U { n: u32, xo: u32, oo: u32, op: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
fn apply(v: f32) -> f32 {
  switch u.op {
${OPS.map((op, i) => `    case ${i}u: { return ${EXPR[op]}; }`).join('\n')}
    default: { return v; }
  }
}
${MAIN}
  if (i >= u.n) { return; }
  out[u.oo + i] = apply(x[u.xo + i]);
}`;

/** out[i] = op(x[i]) over out.length elements. */
export function unary(ctx: KernelContext, op: UnaryOp, x: GpuArray, out: GpuArray): void {
  ctx.dispatch(SOURCE, [x, out], [{ u32: out.length }, { u32: x.offset }, { u32: out.offset }, { u32: OPS.indexOf(op) }], grid(ctx, out.length));
}

/** clamp with its bounds as uniforms (an infinite bound never wins a comparison); NaN stays NaN, as in the reference. */
const CLAMP = /* wgsl */ `
struct U { n: u32, xo: u32, oo: u32, lo: f32, hi: f32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
${MAIN}
  if (i >= u.n) { return; }
  let v = x[u.xo + i];
  out[u.oo + i] = select(select(v, u.hi, v > u.hi), u.lo, v < u.lo);
}`;

/** out[i] = x[i] clamped to [min, max] over out.length elements. */
export function clamp(ctx: KernelContext, x: GpuArray, min: number, max: number, out: GpuArray): void {
  ctx.dispatch(CLAMP, [x, out], [{ u32: out.length }, { u32: x.offset }, { u32: out.offset }, { f32: min }, { f32: max }], grid(ctx, out.length));
}
