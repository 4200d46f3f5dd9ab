import { GradpathError } from '../util/errors.js';
import { Tensor } from '../engine/tensor.js';
import type { Generator } from '../util/random.js';
import { attentionSoftmax } from '../engine/ops/nn.js';
import { hasFusedSelfAttention, selfAttention } from '../engine/ops/attention.js';
import { Module } from './module.js';
import { Dropout, Linear } from './layers.js';

/**
 * Scaled dot-product attention: softmax(q k^T * scale) v, optionally causal, with the weights.
 * q (..., T, d), k (..., S, d), v (..., S, dv) -> y (..., T, dv), att (..., T, S); batch dims
 * broadcast (GQA shares a K/V head that way). With a KV cache the T queries are the last T of
 * the S positions. Scale defaults to 1/sqrt(d).
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: { scale?: number; causal?: boolean; dropout?: Dropout } = {}): { y: Tensor; att: Tensor } {
  const scale = opts.scale ?? 1 / Math.sqrt(q.shape[q.ndim - 1]);
  // fused scale + causal mask + softmax
  const att = attentionSoftmax(q.matmul(k.transpose(-2, -1)), scale, opts.causal ?? false); // (..., T, S)
  const y = (opts.dropout ? opts.dropout.forward(att) : att).matmul(v); // (..., T, dv)
  return { y, att };
}

/**
 * Multi-head self-attention with nanoGPT's names: c_attn projects to q, k, v at once, c_proj
 * mixes the heads. causal = true for GPT (decoder), false for an encoder (bidirectional).
 */
export class SelfAttention extends Module {
  c_attn: Linear;
  c_proj: Linear;
  attn_dropout: Dropout;
  resid_dropout: Dropout;
  constructor(readonly nEmbd: number, readonly nHead: number, opts: { causal?: boolean; dropout?: number; bias?: boolean; generator?: Generator } = {}) {
    super();
    if (nEmbd % nHead !== 0) throw new GradpathError(`attention: n_embd ${nEmbd} is not divisible by n_head ${nHead}`);
    this.causal = opts.causal ?? true;
    this.c_attn = new Linear(nEmbd, 3 * nEmbd, { bias: opts.bias, generator: opts.generator });
    this.c_proj = new Linear(nEmbd, nEmbd, { bias: opts.bias, generator: opts.generator });
    this.attn_dropout = new Dropout(opts.dropout ?? 0, opts.generator);
    this.resid_dropout = new Dropout(opts.dropout ?? 0, opts.generator);
  }
  readonly causal: boolean;
  /** The attention weights of the last forward (B, nh, T, T), kept when `keepAttention` is set (for pictures). */
  lastAttention: Tensor | null = null;
  keepAttention = false;

  forward(x: Tensor): Tensor {
    const [B, T, C] = x.shape; // (B, T, C)
    const hs = C / this.nHead;
    if (hasFusedSelfAttention() && !(this.training && this.attn_dropout.p > 0)) {
      // one kernel per direction, on c_attn's output as it lies (engine/ops/attention.ts)
      const { y, att } = selfAttention(this.c_attn.forward(x), this.nHead, this.causal); // (B, T, C)
      if (this.keepAttention) this.lastAttention = att;
      return this.resid_dropout.forward(this.c_proj.forward(y));
    }
    // one copy moves q, k and v into head-major layout; each is then a contiguous slice
    const qkv = this.c_attn.forward(x).reshape(B, T, 3, this.nHead, hs).permute(2, 0, 3, 1, 4).contiguous(); // (3, B, nh, T, hs)
    const [q, k, v] = [0, 1, 2].map((i) => qkv.narrow(0, i, 1).squeeze(0)); // (B, nh, T, hs)
    const { y: heads, att } = scaledDotProductAttention(q, k, v, { causal: this.causal, dropout: this.attn_dropout }); // (B, nh, T, hs)
    if (this.keepAttention) this.lastAttention = att.detach();
    const y = heads.transpose(1, 2).reshape(B, T, C); // re-assemble heads: (B, T, C)
    return this.resid_dropout.forward(this.c_proj.forward(y));
  }
}

/** nanoGPT's CausalSelfAttention. */
export class CausalSelfAttention extends SelfAttention {
  constructor(nEmbd: number, nHead: number, opts: { dropout?: number; bias?: boolean; generator?: Generator } = {}) {
    super(nEmbd, nHead, { ...opts, causal: true });
  }
}
