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

const source = (op: UnaryOp): string => /* wgsl */ `
struct U { n: u32, xo: u32, oo: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
${MAIN}
  if (i >= u.n) { return; }
  let v = x[u.xo + i];
  out[u.oo + i] = ${EXPR[op]};
}`;

const sources = new Map<UnaryOp, string>();

/** out[i] = op(x[i]) over out.length elements. */
export function unary(ctx: KernelContext, op: UnaryOp, x: GpuArray, out: GpuArray): void {
  let wgsl = sources.get(op);
  if (!wgsl) sources.set(op, (wgsl = source(op)));
  ctx.dispatch(wgsl, [x, out], [{ u32: out.length }, { u32: x.offset }, { u32: out.offset }], grid(ctx, out.length));
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
