import { GradpathError } from '../../util/errors.js';
import { record } from '../autograd.js';
import { getBackend } from '../device.js';
import { shapeStr } from '../shape.js';
import { Tensor } from '../tensor.js';
import { floatsUninit } from '../pool.js';

/** Whether the active backend fuses self-attention (selfAttention below); else nn composes it. */
export function hasFusedSelfAttention(): boolean {
  const b = getBackend();
  return b.selfAttention !== undefined && b.selfAttentionBackward !== undefined;
}

/**
 * Multi-head self-attention straight from c_attn's output, in one kernel per direction:
 * qkv (B, T, 3C) = [q | k | v] per token -> y (B, T, C), the heads side by side (what
 * softmax(q k^T * scale) v per head, transposed back and reshaped, gives), and the attention
 * weights (B, nh, T, T), kept for the backward. No head-major copies of q, k, v, no copy to
 * re-assemble the heads, no separate softmax passes. Needs a backend with the fused kernels
 * (hasFusedSelfAttention); the weights come back detached (for pictures).
 */
export function selfAttention(qkv: Tensor, nHead: number, causal: boolean, scale?: number): { y: Tensor; att: Tensor } {
  const backend = getBackend();
  if (!backend.selfAttention) throw new GradpathError(`self_attention: the ${backend.name} backend has no fused attention kernel`);
  if (qkv.ndim !== 3 || qkv.shape[2] % (3 * nHead) !== 0) {
    throw new GradpathError(`self_attention: qkv must be (B, T, 3 * n_head * head_size); got ${shapeStr(qkv.shape)} with n_head ${nHead}`);
  }
  const [B, T, C3] = qkv.shape;
  const C = C3 / 3, hs = C / nHead;
  const s = scale ?? 1 / Math.sqrt(hs);
  const qv = qkv.kernelFloats(); // (B, T, 3C) contiguous
  const y = new Tensor(floatsUninit(B * T * C), [B, T, C]);
  const att = floatsUninit(B * nHead * T * T);
  backend.selfAttention(qv, B, T, nHead, hs, s, causal, y.storage as Float32Array, att);
  return { y: record(y, 'selfAttention', [qkv], { qv, att, B, T, nh: nHead, hs, scale: s }), att: new Tensor(att, [B, nHead, T, T]) };
}
