import type { AdamStep } from '../../backend.js';
import type { GpuArray, KernelContext } from '../kernel-context.js';
import { WG, elementGrid, kernel, u32s } from './grid.js';

/**
 * One Adam(W) step in place, one invocation per parameter. 1 - beta1 and 1 - beta2 are formed on
 * the host in float64 and passed as f32, so beta2 = 0.999 does not lose digits to cancellation.
 */
const SOURCE = kernel({
  uniforms: 'n: u32, pOff: u32, gOff: u32, mOff: u32, vOff: u32, b1: f32, ob1: f32, '
    + 'b2: f32, ob2: f32, eps: f32, stepSize: f32, invSqrtC2: f32, decay: f32, l2: f32',
  arrays: ['p rw', 'g', 'm rw', 'v rw'],
  body: /* wgsl */ `
  let i = group * ${WG}u + lid;
  if (i >= u.n) { return; }
  let pi = p[u.pOff + i];
  let gi = g[u.gOff + i] + u.l2 * pi;
  let mi = u.b1 * m[u.mOff + i] + u.ob1 * gi;
  let vi = u.b2 * v[u.vOff + i] + u.ob2 * gi * gi;
  m[u.mOff + i] = mi;
  v[u.vOff + i] = vi;
  p[u.pOff + i] = pi * u.decay - (u.stepSize * mi) / (sqrt(vi) * u.invSqrtC2 + u.eps);`,
});

/** Backend.adam: p, m and v updated in place from g. */
export function adam(ctx: KernelContext, p: GpuArray, g: GpuArray, m: GpuArray, v: GpuArray, s: AdamStep): void {
  const n = p.length;
  if (n === 0) return;
  const scalars = [s.beta1, 1 - s.beta1, s.beta2, 1 - s.beta2, s.eps, s.stepSize, s.invSqrtC2, s.decay, s.l2].map((f32) => ({ f32 }));
  ctx.dispatch(SOURCE, [p, g, m, v], [...u32s(n, p.offset, g.offset, m.offset, v.offset), ...scalars], elementGrid(n, WG, ctx.limits));
}
