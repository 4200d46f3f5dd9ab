/**
 * The WebGPU backend's compute kernels. Each has its Backend method's signature with a leading
 * KernelContext and GpuArrays for typed arrays (f32 arrays where the Backend returns a number;
 * cross-entropy's rows, whose loss the backend sums). They only record work; see kernel-context.ts.
 */
export { matmul, linear, setLargeTilesFrom } from './matmul.js';
export { softmax, scaledSoftmax, softmaxBackward } from './softmax.js';
export { layerNorm, layerNormBackward } from './layernorm.js';
export { geluForward, geluBackward } from './gelu.js';
export { crossEntropyRows } from './cross-entropy.js';
export { adam } from './adam.js';
export { im2col, col2im, maxPool2d, maxPool2dBackward, avgPool2d, avgPool2dBackward } from './window.js';
export { batchNorm, batchNormBackward, batchNormRunningStats } from './batchnorm.js';
export { selfAttention, selfAttentionBackward } from './attention.js';
export { gemm, type Operand } from './matmul.js';
