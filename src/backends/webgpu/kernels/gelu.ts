import type { GpuArray, KernelContext } from '../kernel-context.js';
import { WG, elementGrid, kernel, u32s } from './grid.js';

/**
 * GELU (tanh approximation) forward and backward, one invocation per element. tanh is computed
 * as 1 - 2 / (exp(2z) + 1) like the reference: exact at float32 precision and, unlike some
 * drivers' tanh, never NaN for large |z| (exp overflows to inf and the quotient to 0).
 */
const HEAD = /* wgsl */ `
const K = 0.7978845608028654; // sqrt(2 / pi)
fn tanhSafe(z: f32) -> f32 { return 1.0 - 2.0 / (exp(2.0 * z) + 1.0); }`;

const FORWARD = kernel({
  uniforms: 'n: u32, xOff: u32, outOff: u32, thOff: u32',
  arrays: ['x', 'out rw', 'th rw'],
  prelude: HEAD,
  body: /* wgsl */ `
  let i = group * ${WG}u + lid;
  if (i >= u.n) { return; }
  let v = x[u.xOff + i];
  let t = tanhSafe(K * (v + 0.044715 * v * v * v));
  th[u.thOff + i] = t;
  out[u.outOff + i] = 0.5 * v * (1.0 + t);`,
});

const BACKWARD = kernel({
  uniforms: 'n: u32, gOff: u32, xOff: u32, thOff: u32, dxOff: u32',
  arrays: ['g', 'x', 'th', 'dx rw'],
  prelude: HEAD,
  body: /* wgsl */ `
  let i = group * ${WG}u + lid;
  if (i >= u.n) { return; }
  let v = x[u.xOff + i];
  let t = th[u.thOff + i];
  let d = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * K * (1.0 + 3.0 * 0.044715 * v * v);
  dx[u.dxOff + i] = g[u.gOff + i] * d;`,
});

/** Backend.geluForward: out = gelu(x), th = the tanh it computed (for the backward). */
export function geluForward(ctx: KernelContext, x: GpuArray, out: GpuArray, th: GpuArray): void {
  const n = x.length;
  if (n === 0) return;
  ctx.dispatch(FORWARD, [x, out, th], u32s(n, x.offset, out.offset, th.offset), elementGrid(n, WG, ctx.limits));
}

/** Backend.geluBackward: dx = g * gelu'(x) from the forward's tanh values. */
export function geluBackward(ctx: KernelContext, g: GpuArray, x: GpuArray, th: GpuArray, dx: GpuArray): void {
  const n = x.length;
  if (n === 0) return;
  ctx.dispatch(BACKWARD, [g, x, th, dx], u32s(n, g.offset, x.offset, th.offset, dx.offset), elementGrid(n, WG, ctx.limits));
}
