import type { GpuArray, KernelContext } from '../kernel-context.js';
import { gemm, type Operand } from './matmul.js';
import { scaledSoftmax, softmaxBackward } from './softmax.js';

/**
 * Multi-head self-attention over qkv (B, T, 3C) as tiled matmuls that read each head in place
 * (a head is hs columns of every token's row; gemm takes the row and head strides), with the
 * scaled causal softmax between them. No head is copied out and back: the only intermediate is
 * the (B, nh, T, T) score matrix, in scratch.
 *   forward:  S = q k^T, att = softmax(scale S) (causal), y = att v
 *   backward: dP = dy v^T, dS = scale att (dP - rowsum(dP att)), dq = dS k, dk = dS^T q, dv = att^T dy
 */

/** The operands of one attention problem: batch z = b * nh + h. */
function layout(B: number, T: number, nh: number, hs: number) {
  const C = nh * hs;
  // head h of token rows inside (B, T, width): column `at` + h * hs, rows `width` apart
  const head = (array: GpuArray, at: number, width: number): Operand => ({ array, at, ld: width, stride: hs, outer: T * width });
  // a (T, T) matrix per (b, h), contiguous
  const square = (array: GpuArray): Operand => ({ array, at: 0, ld: T, stride: T * T, outer: nh * T * T });
  return { C, head, square, batch: B * nh };
}

/** Backend.selfAttention: y (B, T, C) and att (B, nh, T, T) from qkv (B, T, 3C). */
export function selfAttention(ctx: KernelContext, qkv: GpuArray, B: number, T: number, nh: number, hs: number, scale: number, causal: boolean,
  y: GpuArray, att: GpuArray): void {
  if (B === 0 || T === 0 || nh === 0) return;
  const { C, head, square, batch } = layout(B, T, nh, hs);
  const scores = ctx.scratch(batch * T * T);
  gemm(ctx, batch, nh, T, hs, T, head(qkv, 0, 3 * C), false, head(qkv, C, 3 * C), true, square(scores));
  scaledSoftmax(ctx, scores, batch * T, T, scale, causal ? T : 0, att);
  gemm(ctx, batch, nh, T, T, hs, square(att), false, head(qkv, 2 * C, 3 * C), false, head(y, 0, C));
}

/** Backend.selfAttentionBackward: every element of dqkv (B, T, 3C) from dy (B, T, C), qkv and att. */
export function selfAttentionBackward(ctx: KernelContext, dy: GpuArray, qkv: GpuArray, att: GpuArray, B: number, T: number, nh: number, hs: number,
  scale: number, dqkv: GpuArray): void {
  if (B === 0 || T === 0 || nh === 0) return;
  const { C, head, square, batch } = layout(B, T, nh, hs);
  const ds = ctx.scratch(batch * T * T);
  gemm(ctx, batch, nh, T, hs, T, head(dy, 0, C), false, head(qkv, 2 * C, 3 * C), true, square(ds)); // dP = dy v^T
  softmaxBackward(ctx, ds, att, batch * T, T, scale, ds); // dS = scale att (dP - rowsum(dP att)), in place
  gemm(ctx, batch, nh, T, T, hs, square(ds), false, head(qkv, C, 3 * C), false, head(dqkv, 0, 3 * C)); // dq = dS k
  gemm(ctx, batch, nh, T, T, hs, square(ds), true, head(qkv, 0, 3 * C), false, head(dqkv, C, 3 * C)); // dk = dS^T q
  gemm(ctx, batch, nh, T, T, hs, square(att), true, head(dy, 0, C), false, head(dqkv, 2 * C, 3 * C)); // dv = att^T dy
}
