import type { KernelLimits, Word } from '../kernel-context.js';

/**
 * Shared pieces of the kernels: how a count of rows or elements becomes a dispatch geometry
 * within the 65535-per-dimension limit, and the WGSL that turns it back into an index.
 */

export function ceilDiv(a: number, b: number): number {
  return Math.floor((a + b - 1) / b);
}

/** Workgroups (x, y) covering `count` workgroups' worth of work: x at most the limit, y the rest. */
export function grid(count: number, limits: KernelLimits): [number, number] {
  const max = limits.maxComputeWorkgroupsPerDimension;
  if (count <= max) return [count, 1];
  const y = ceilDiv(count, max);
  if (y > max) throw new Error(`webgpu: ${count} workgroups are more than a dispatch of ${max} x ${max} covers`);
  return [ceilDiv(count, y), y];
}

/** Workgroups for `n` elements, `perGroup` of them per workgroup. */
export function elementGrid(n: number, perGroup: number, limits: KernelLimits): [number, number] {
  return grid(ceilDiv(n, perGroup), limits);
}

/**
 * The WGSL entry point's parameters and `let group` (the workgroup's index along a grid made by
 * grid()); `lid` is the local invocation index.
 */
export const GRID_PARAMS = '@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32';
export const GRID_GROUP = 'let group = wid.y * nwg.x + wid.x;';

/** Memoized WGSL per variant, so the executor's pipeline cache sees the same string object each time. */
export function memo<K>(build: (key: K) => string): (key: K) => string {
  const cache = new Map<K, string>();
  return (key) => {
    let s = cache.get(key);
    if (s === undefined) cache.set(key, (s = build(key)));
    return s;
  };
}

/**
 * WGSL for reductions across a workgroup of `size` invocations (a power of two) through
 * workgroup memory: `reduceSum(v, lid)` and `reduceMax(v, lid)` return the result to every
 * invocation. Both must be called in uniform control flow (they contain barriers).
 */
export function workgroupReduce(size: number): string {
  return /* wgsl */ `
var<workgroup> red: array<f32, ${size}>;
fn reduceSum(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = ${size / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}
fn reduceMax(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = ${size / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] = max(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}`;
}

/** Uniform words from unsigned integers (offsets, sizes, flags). */
export function u32s(...values: number[]): Word[] {
  return values.map((u32) => ({ u32 }));
}

/** Invocations per workgroup of the row and element kernels: the least every WebGPU device allows. */
export const WG = 256;

/** The most negative finite f32: a max's starting value (WGSL constants cannot be infinite). */
export const F32_LOWEST = '-0x1.fffffep+127f';

/** What kernel() assembles: the uniform struct's fields, the arrays in binding order, the entry point's body. */
export interface KernelSpec {
  /** Fields of the uniform struct `u`, e.g. 'rows: u32, cols: u32, scale: f32' (omit for none). */
  uniforms?: string;
  /** Storage arrays in binding order: 'name', then 'rw' for read_write and 'i32' for indices ('idx rw i32'). */
  arrays: string[];
  /** Include reduceSum / reduceMax over the workgroup. */
  reduce?: boolean;
  /** WGSL before the entry point (helper functions, constants). */
  prelude?: string;
  /** The body of `main`, where `group` (the workgroup's index on a grid()) and `lid` are defined. */
  body: string;
}

/**
 * The WGSL of a kernel of WG invocations per workgroup on a grid() of workgroups: the bindings
 * in the order the KernelContext binds them (arrays, then the uniforms), the optional workgroup
 * reductions, and the entry point around `body`.
 */
export function kernel(spec: KernelSpec): string {
  const bindings = spec.arrays.map((a, i) => {
    const [name, ...flags] = a.split(' ');
    const access = flags.includes('rw') ? 'read_write' : 'read';
    return `@group(0) @binding(${i}) var<storage, ${access}> ${name}: array<${flags.includes('i32') ? 'i32' : 'f32'}>;`;
  });
  if (spec.uniforms) bindings.unshift(`struct U { ${spec.uniforms} }`), bindings.push(`@group(0) @binding(${spec.arrays.length}) var<uniform> u: U;`);
  return `${bindings.join('\n')}
${spec.reduce ? workgroupReduce(WG) : ''}
${spec.prelude ?? ''}
@compute @workgroup_size(${WG})
fn main(${GRID_PARAMS}) {
  ${GRID_GROUP}${spec.body}
}`;
}
