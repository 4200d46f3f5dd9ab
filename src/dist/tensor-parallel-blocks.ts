/**
 * A transformer block's two halves split over the tp group (Megatron's ParallelAttention and
 * ParallelMLP), each cut from the whole layer a single process builds:
 *
 *   attention: c_attn column-parallel (this rank's heads: their q, k and v rows), attention over
 *              those heads only, c_proj row-parallel      -> one all-reduce forward, one backward
 *   MLP:       c_fc column-parallel (4C/tp features), GELU, c_proj row-parallel  -> the same
 *
 * Dropout inside the attention draws the single process's mask for all heads and keeps this
 * rank's heads; the residual dropout after c_proj sees the whole (replicated) activation under TP,
 * where every rank draws the same mask, and a sequence slice under SP.
 */
import { GradpathError } from '../util/errors.js';
import type { Tensor } from '../engine/tensor.js';
import { packedHeadsAttention } from '../nn/attention.js';
import { Module } from '../nn/module.js';
import type { Dropout, Linear } from '../nn/layers.js';
import type { Part, TensorParallel } from './tensor-parallel.js';
import { ColumnParallelLinear, RowParallelLinear } from './tensor-parallel-layers.js';
import { dropoutPart, SequenceParallelDropout } from './sequence-parallel.js';

/** What a whole multi-head attention layer must have to be split (nn.SelfAttention; chargpt's MHA). */
export interface WholeAttention {
  c_attn: Linear;
  c_proj: Linear;
  attn_dropout: Dropout;
  resid_dropout: Dropout;
  nHead: number;
  causal: boolean;
  /** GQA/MQA: must equal nHead (plain multi-head attention) to be split by heads here. */
  nKvHead?: number;
  /** Rotary embeddings (not supported under tensor parallelism here). */
  rope?: unknown;
}

export interface WholeMLP {
  c_fc: Linear;
  c_proj: Linear;
  dropout: Dropout;
}

/** Dropout for the output of a row-parallel layer: whole under TP, a sequence slice under SP. */
function residualDropout(d: Dropout, tp: TensorParallel): Dropout {
  return tp.sequenceParallel ? new SequenceParallelDropout(d.p, d.generator, tp) : d;
}

export class TensorParallelSelfAttention extends Module {
  c_attn: ColumnParallelLinear;
  c_proj: RowParallelLinear;
  attn_dropout: Dropout;
  resid_dropout: Dropout;
  /** The global heads this rank computes. */
  readonly heads: Part;
  readonly nHead: number;
  readonly headSize: number;
  readonly causal: boolean;

  constructor(whole: WholeAttention, readonly tp: TensorParallel) {
    super();
    if (!whole.c_attn || (whole.nKvHead !== undefined && whole.nKvHead !== whole.nHead)) {
      throw new GradpathError('tensor parallel: only multi-head attention (--attention mha) is split over ranks here');
    }
    if (whole.rope) throw new GradpathError('tensor parallel: rotary positions (--pos rope) are not supported; use learned positions');
    this.nHead = whole.nHead;
    this.causal = whole.causal;
    const C = whole.c_proj.weight.shape[0];
    this.headSize = C / this.nHead;
    this.heads = tp.part(this.nHead, 'n_head');
    const features = { start: this.heads.start * this.headSize, length: this.heads.length * this.headSize };
    this.c_attn = ColumnParallelLinear.cut(whole.c_attn, tp, features, 3); // q, k and v of this rank's heads
    this.c_proj = RowParallelLinear.cut(whole.c_proj, tp, features);
    this.attn_dropout = whole.attn_dropout;
    this.resid_dropout = residualDropout(whole.resid_dropout, tp);
  }

  /** x (B, T, C), or (B, T/tp, C) under SP -> the same shape. */
  forward(x: Tensor, ctx?: { cache?: unknown }): Tensor {
    if (ctx?.cache) throw new GradpathError('tensor parallel: incremental decoding (KV cache) is not supported; sample from a merged checkpoint');
    const qkv = this.c_attn.forward(x); // (B, T, 3C/tp): q, k and v of this rank's heads
    // the single process's dropout mask over all heads (B, nh, T, T), this rank's heads kept
    const dropout = { forward: (att: Tensor) => dropoutPart(att, this.attn_dropout, [att.shape[0], this.nHead, ...att.shape.slice(2)], 1, this.heads) };
    const { y } = packedHeadsAttention(qkv, this.heads.length, { causal: this.causal, dropout }); // (B, T, C/tp)
    return this.resid_dropout.forward(this.c_proj.forward(y));
  }
}

export class TensorParallelMLP extends Module {
  c_fc: ColumnParallelLinear;
  c_proj: RowParallelLinear;
  dropout: Dropout;

  constructor(whole: WholeMLP, readonly tp: TensorParallel) {
    super();
    const hidden = tp.part(whole.c_fc.weight.shape[0], 'the MLP width 4 n_embd');
    this.c_fc = ColumnParallelLinear.cut(whole.c_fc, tp, hidden);
    this.c_proj = RowParallelLinear.cut(whole.c_proj, tp, hidden);
    this.dropout = residualDropout(whole.dropout, tp);
  }

  /** x (B, T, C), or (B, T/tp, C) under SP -> the same shape. */
  forward(x: Tensor): Tensor {
    return this.dropout.forward(this.c_proj.forward(this.c_fc.forward(x).gelu())); // via (B, T, 4C/tp)
  }
}
