/**
 * The WebGPU backend's compute kernels. Each has its Backend method's signature with a leading
 * KernelContext and GpuArrays for typed arrays (f32 arrays where the Backend writes float64 or
 * returns a number). They only record work; see kernel-context.ts.
 */
export { matmul, linear, setLargeTilesFrom } from './matmul.js';
