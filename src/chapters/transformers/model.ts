import { GradpathError } from '../../util/errors.js';
import type { Generator } from '../../util/random.js';
import { GPT, type AttentionFactory, type GPTConfig } from '../../models/gpt.js';
import type { TensorParallel } from '../../dist/tensor-parallel.js';
import { GroupedQueryAttention, MultiHeadLatentAttention } from './attention.js';

export type AttentionKind = 'mha' | 'mqa' | 'gqa' | 'mla';

/**
 * nanoGPT's config (n_layer, n_head, n_embd, block_size, dropout, bias, vocab_size) plus the
 * attention design: which variant, K/V heads for GQA, latent sizes for MLA, learned or rotary
 * positions. Plain data, so it goes into checkpoints and is compared on --resume.
 */
export interface TransformerConfig extends GPTConfig {
  attention: AttentionKind;
  /** GQA: number of K/V heads (divides nHead). MHA uses nHead, MQA 1. */
  nKvHead?: number;
  /** MLA: d_c (default nEmbd / 2), d_c' (default nEmbd / 2), d_h^R (default head size / 2). */
  kvRank?: number;
  qRank?: number;
  ropeDim?: number;
}

/** Fills in the variant's defaults and checks that its dimensions fit (one clear error each). */
export function resolveConfig(c: TransformerConfig): TransformerConfig {
  const out: TransformerConfig = { ...c };
  if (!Number.isInteger(c.nHead) || c.nHead < 1) throw new GradpathError(`--n-head must be a positive integer; got ${c.nHead}`);
  if (c.nEmbd % c.nHead !== 0) throw new GradpathError(`--n-embd ${c.nEmbd} is not divisible by --n-head ${c.nHead}`);
  const hs = c.nEmbd / c.nHead;
  if (c.pos === 'rope' && hs % 2 !== 0) throw new GradpathError(`--pos rope needs an even head size; n_embd / n_head = ${hs}`);
  switch (c.attention) {
    case 'mha': out.nKvHead = c.nHead; break;
    case 'mqa': out.nKvHead = 1; break;
    case 'gqa': {
      const g = c.nKvHead ?? Math.max(1, c.nHead >> 1);
      if (!Number.isInteger(g) || g < 1 || c.nHead % g !== 0) throw new GradpathError(`--n-kv-head ${g} must divide --n-head ${c.nHead} (each K/V head serves a whole group of query heads)`);
      out.nKvHead = g;
      break;
    }
    case 'mla': {
      delete out.nKvHead;
      out.kvRank = c.kvRank ?? Math.max(1, c.nEmbd >> 1);
      out.qRank = c.qRank ?? Math.max(1, c.nEmbd >> 1);
      out.ropeDim = c.ropeDim ?? Math.max(2, 2 * Math.floor(hs / 4));
      if (out.ropeDim % 2 !== 0) throw new GradpathError(`--rope-dim ${out.ropeDim} must be even (RoPE rotates pairs of channels)`);
      if (out.kvRank > 2 * c.nEmbd) throw new GradpathError(`--kv-rank ${out.kvRank} is larger than the 2 n_embd = ${2 * c.nEmbd} keys and values it compresses`);
      break;
    }
    default: throw new GradpathError(`--attention must be one of mha, mqa, gqa, mla; got ${c.attention}`);
  }
  if (c.attention !== 'mla') delete out.kvRank, delete out.qRank, delete out.ropeDim;
  return out;
}

/** The factory a GPT's blocks call to build their attention. */
export type VariantAttention = GroupedQueryAttention | MultiHeadLatentAttention;

export function attentionFactory(c: TransformerConfig): AttentionFactory<VariantAttention> {
  return (cfg, gen) => {
    const common = { causal: !cfg.bidirectional, dropout: cfg.dropout ?? 0, bias: cfg.bias ?? true, generator: gen };
    if (c.attention === 'mla') {
      return new MultiHeadLatentAttention({ ...common, nEmbd: cfg.nEmbd, nHead: cfg.nHead, kvRank: c.kvRank!, qRank: c.qRank!, ropeDim: c.ropeDim!, blockSize: cfg.blockSize });
    }
    return new GroupedQueryAttention(cfg.nEmbd, cfg.nHead, c.nKvHead ?? cfg.nHead, { ...common, rope: cfg.pos === 'rope' ? { blockSize: cfg.blockSize } : undefined });
  };
}

/**
 * A GPT (src/models/gpt.ts) whose blocks use the configured attention design; with `parallel`,
 * split over that tensor-parallel group; with `layers`, one pipeline stage of it.
 */
export function buildModel(config: TransformerConfig, gen: Generator, opts: { parallel?: TensorParallel | null; layers?: [number, number] } = {}): { model: GPT<VariantAttention>; config: TransformerConfig } {
  const c = resolveConfig(config);
  return { model: new GPT(c, gen, { attention: attentionFactory(c), ...opts }), config: c };
}

/**
 * KV-cache elements per token per layer, DeepSeek-V2's Table 1 with our dimensions:
 * MHA 2 n_h d_h, GQA 2 n_g d_h, MQA 2 d_h, MLA d_c + d_h^R (d_c and d_h^R of the config, or
 * our defaults n_embd / 2 and d_h / 2 when the config is not MLA; n_g = n_h / 2 unless GQA is configured).
 */
export function kvFormulas(c: TransformerConfig): { name: string; formula: string; elements: number }[] {
  const nh = c.nHead, dh = c.nEmbd / c.nHead;
  const ng = c.attention === 'gqa' ? c.nKvHead! : Math.max(1, nh >> 1);
  const mla = c.attention === 'mla' ? c : resolveConfig({ ...c, attention: 'mla' });
  const dc = mla.kvRank!, dr = mla.ropeDim!;
  return [
    { name: 'MHA', formula: `2 n_h d_h = 2*${nh}*${dh}`, elements: 2 * nh * dh },
    { name: 'GQA', formula: `2 n_g d_h = 2*${ng}*${dh}`, elements: 2 * ng * dh },
    { name: 'MQA', formula: `2 d_h = 2*${dh}`, elements: 2 * dh },
    { name: 'MLA', formula: `d_c + d_h^R = ${dc}+${dr}`, elements: dc + dr },
  ];
}

/** Elements per token per layer of the configured variant. */
export function kvElementsPerToken(c: TransformerConfig): number {
  const dh = c.nEmbd / c.nHead;
  return c.attention === 'mla' ? c.kvRank! + c.ropeDim! : 2 * (c.nKvHead ?? c.nHead) * dh;
}
