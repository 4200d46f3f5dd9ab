import type { KernelContext } from '../kernel-context.js';
import { elementGrid, GRID_GROUP, GRID_PARAMS, WG } from '../kernels/grid.js';

export { WG };

/** Workgroups covering n invocations, WG per workgroup, within the per-dimension limit (kernels/grid.ts). */
export function grid(ctx: KernelContext, n: number): [number, number] {
  return elementGrid(n, WG, ctx.limits);
}

/** WGSL: the entry point's signature and `i`, the invocation's linear index on a grid(). */
export const MAIN = /* wgsl */ `
@compute @workgroup_size(${WG})
fn main(${GRID_PARAMS}) {
  ${GRID_GROUP}
  let i = group * ${WG}u + lid;`;
