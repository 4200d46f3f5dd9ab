import type { KernelContext } from '../kernel-context.js';

/** Invocations per workgroup of the elementwise kernels. */
export const WG = 256;

/**
 * Workgroups covering n invocations of WG each: one row of up to the device's per-dimension limit,
 * then more rows (large tensors exceed 65535 x 256).
 */
export function grid(ctx: KernelContext, n: number): [number, number] {
  const groups = Math.ceil(n / WG);
  const max = ctx.limits.maxComputeWorkgroupsPerDimension;
  return groups <= max ? [groups, 1] : [max, Math.ceil(groups / max)];
}

/** WGSL: the entry point's signature and `i`, the invocation's linear index (see grid). */
export const MAIN = /* wgsl */ `
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wg.y * nwg.x + wg.x) * ${WG}u + lid;`;
