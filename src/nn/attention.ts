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
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: { scale?: number; causal?: boolean; dropout?: Pick<Dropout, 'forward'> } = {}): { y: Tensor; att: Tensor } {
  const scale = opts.scale ?? 1 / Math.sqrt(q.shape[q.ndim - 1]);
  // fused scale + causal mask + softmax
  const att = attentionSoftmax(q.matmul(k.transpose(-2, -1)), scale, opts.causal ?? false); // (..., T, S)
  const y = (opts.dropout ? opts.dropout.forward(att) : att).matmul(v); // (..., T, dv)
  return { y, att };
}

/**
 * Attention over the heads that one c_attn projection packs: qkv (B, T, 3 nh hs), q then k then v,
 * each nh heads of hs features -> y (B, T, nh hs) with the heads re-assembled, and the weights
 * (B, nh, T, T). Shared by SelfAttention (all heads) and tensor parallelism (a rank's heads).
 */
export function packedHeadsAttention(qkv: Tensor, nh: number, opts: { causal: boolean; dropout?: Pick<Dropout, 'forward'>; fused?: boolean }): { y: Tensor; att: Tensor } {
  // fused: one kernel per direction, on qkv as it lies (engine/ops/attention.ts); the caller says
  // whether that is allowed (it draws no attention dropout)
  if (opts.fused && hasFusedSelfAttention()) return selfAttention(qkv, nh, opts.causal); // y: (B, T, nh hs)
  const [B, T, F] = qkv.shape; // (B, T, 3 nh hs)
  const hs = F / (3 * nh);
  // one copy moves q, k and v into head-major layout; each is then a contiguous slice
  const heads = qkv.reshape(B, T, 3, nh, hs).permute(2, 0, 3, 1, 4).contiguous(); // (3, B, nh, T, hs)
  const [q, k, v] = [0, 1, 2].map((i) => heads.narrow(0, i, 1).squeeze(0)); // (B, nh, T, hs)
  const { y, att } = scaledDotProductAttention(q, k, v, opts); // (B, nh, T, hs)
  return { y: y.transpose(1, 2).reshape(B, T, nh * hs), att }; // re-assemble heads: (B, T, nh hs)
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
    // the fused kernel where the backend has one and no attention dropout is drawn
    const fused = !(this.training && this.attn_dropout.p > 0);
    const { y, att } = packedHeadsAttention(this.c_attn.forward(x), this.nHead, { causal: this.causal, dropout: this.attn_dropout, fused }); // (B, T, C)
    if (this.keepAttention) this.lastAttention = att.detach();
    return this.resid_dropout.forward(this.c_proj.forward(y));
  }
}

/** nanoGPT's CausalSelfAttention. */
export class CausalSelfAttention extends SelfAttention {
  constructor(nEmbd: number, nHead: number, opts: { dropout?: number; bias?: boolean; generator?: Generator } = {}) {
    super(nEmbd, nHead, { ...opts, causal: true });
  }
}
