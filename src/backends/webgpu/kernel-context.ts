/**
 * The contract between the WebGPU backend's kernels (src/backends/webgpu/kernels/) and what runs
 * them (the executor that owns a GPUDevice, and the bridge that gives the engine synchronous
 * tensors). A kernel only describes work: WGSL source and a dispatch geometry over arrays named
 * by handle. It never touches a GPU object, submits, reads back or keeps a buffer, so the same
 * kernel runs on a device in this thread or in a worker that owns the device.
 */

/**
 * An array on the GPU: elements [offset, offset + length) of the buffer with id `buffer`, in
 * 4-byte elements (f32, or i32 for indices). Storage bindings at arbitrary offsets are not
 * allowed by WebGPU, so a dispatch binds whole buffers and the kernel adds `offset` itself
 * (pass it in the uniforms).
 */
export interface GpuArray {
  readonly buffer: number;
  readonly offset: number;
  readonly length: number;
}

/** One 4-byte word of a kernel's uniform struct. */
export type Word = { u32: number } | { i32: number } | { f32: number };

/** The device limits a kernel sizes its work by. */
export interface KernelLimits {
  readonly maxComputeWorkgroupsPerDimension: number;
  readonly maxComputeInvocationsPerWorkgroup: number;
  readonly maxComputeWorkgroupStorageSize: number;
}

export interface KernelContext {
  /**
   * Records one compute dispatch of `wgsl` (entry point `main`, compiled once per distinct source)
   * into the current batch, in order after everything recorded before it. Binding i of group 0 is
   * arrays[i]'s whole buffer; binding arrays.length is a uniform buffer holding `uniforms` packed
   * as 4-byte words in order (the WGSL struct must match; omit the binding when `uniforms` is
   * empty). workgroups: x, y, z counts, each at most limits.maxComputeWorkgroupsPerDimension.
   * An array bound writable (`read_write`) must not share its buffer with another binding of the
   * same dispatch: outputs own their buffer, except where a primitive allows out === input
   * (binary's in-place a += b), which the kernel handles by binding that buffer once.
   */
  dispatch(wgsl: string, arrays: readonly GpuArray[], uniforms: readonly Word[], workgroups: readonly [number, number?, number?]): void;

  /** n 4-byte elements for a kernel's intermediate results, valid until the current batch is submitted. */
  scratch(n: number): GpuArray;

  readonly limits: KernelLimits;
}
