import type { BinaryOp } from '../../backend.js';
import type { GpuArray, KernelContext } from '../kernel-context.js';
import { MAIN, grid } from './grid.js';
import { coalesce, stridedFields, stridedIndex, stridedWords } from './strided.js';

/**
 * Each binary op as a WGSL expression of a and b, with the reference backend's math. pow is
 * spelled out: WGSL's pow is undefined for a < 0, where Math.pow gives (-a)^b for whole b.
 */
const EXPR: Record<BinaryOp, string> = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'a / b',
  pow: 'powf(a, b)',
  max: 'select(b, a, a >= b)',
  min: 'select(b, a, a <= b)',
  eq: 'select(0.0, 1.0, a == b)',
  gt: 'select(0.0, 1.0, a > b)',
  lt: 'select(0.0, 1.0, a < b)',
  ge: 'select(0.0, 1.0, a >= b)',
};

const POW = /* wgsl */ `
fn powf(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (b == 1.0) { return a; }
  if (b == 2.0) { return a * a; }
  let m = pow(abs(a), b);
  if (a >= 0.0) { return m; }
  var nan = 0x7fc00000u; // a var: WGSL rejects NaN as a constant
  if (b != floor(b)) { return bitcast<f32>(nan); }
  return select(m, -m, abs(b % 2.0) == 1.0);
}`;

const OPS = Object.keys(EXPR) as BinaryOp[];

/**
 * Every op in one kernel, picked by a uniform (the branch is uniform across the dispatch, free on a
 * GPU): two pipelines in all instead of two per op, each of which a software adapter compiles
 * in a tenth of a second or more. `inPlace`: out is a (a += b), bound once as read_write.
 */
const source = (inPlace: boolean): string => /* wgsl */ `
struct U {
  n: u32, ao: u32, bo: u32, oo: u32,
  op: u32, q0: u32, q1: u32, q2: u32,
  ${stridedFields(['sa', 'sb'])}
}
${inPlace ? '' : '@group(0) @binding(0) var<storage, read> x: array<f32>;'}
@group(0) @binding(${inPlace ? 0 : 1}) var<storage, read> y: array<f32>;
@group(0) @binding(${inPlace ? 1 : 2}) var<storage, read_write> out: array<f32>;
@group(0) @binding(${inPlace ? 2 : 3}) var<uniform> u: U;
${POW}
fn apply(a: f32, b: f32) -> f32 {
  switch u.op {
${OPS.map((op, i) => `    case ${i}u: { return ${EXPR[op]}; }`).join('\n')}
    default: { return a; }
  }
}
${MAIN}
  if (i >= u.n) { return; }
  ${stridedIndex(['sa', 'sb'])}
  out[u.oo + i] = apply(${inPlace ? 'out' : 'x'}[u.ao + sai], y[u.bo + sbi]);
}`;

const SOURCES = { false: source(false), true: source(true) };

/**
 * out = op(a, b) broadcast over outShape, a and b read through their strides (0 where broadcast).
 * With `inPlace`, a is out itself (dense, a.offset = out.offset).
 */
export function binary(ctx: KernelContext, op: BinaryOp, a: GpuArray, aStrides: number[], b: GpuArray, bStrides: number[], out: GpuArray, outShape: number[], inPlace: boolean): void {
  const { shape, strides } = coalesce(outShape, [aStrides, bStrides]);
  const words = [out.length, a.offset, b.offset, out.offset, OPS.indexOf(op), 0, 0, 0].map((u32) => ({ u32 }));
  ctx.dispatch(SOURCES[`${inPlace}`], inPlace ? [b, out] : [a, b, out], [...words, ...stridedWords(shape, strides)], grid(ctx, out.length));
}
