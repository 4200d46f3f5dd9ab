import { GradpathError } from '../../util/errors.js';
import type { TrainSettings } from './train.js';
import type { AttentionKind, TransformerConfig } from './model.js';

/** A preset: model shape and nanoGPT's training settings. */
export interface Preset extends TrainSettings {
  nLayer: number;
  nHead: number;
  nEmbd: number;
  blockSize: number;
  dropout: number;
  bias: boolean;
}

const nanoGPT = { weightDecay: 0.1, beta2: 0.99, gradClip: 1.0, warmupIters: 100, evalInterval: 250, bias: false };

/**
 * cpu: the CPU run documented in nanoGPT's README (val loss 1.88 after ~3 minutes on a laptop);
 * shakespeare: config/train_shakespeare_char.py (val loss ~1.47 after ~3 minutes on an A100).
 */
export type PresetName = 'cpu' | 'shakespeare';

export const PRESETS: Record<PresetName, Preset> = {
  cpu: { ...nanoGPT, blockSize: 64, batchSize: 12, nLayer: 4, nHead: 4, nEmbd: 128, maxIters: 2000, lr: 1e-3, lrDecayIters: 2000, minLr: 1e-4, dropout: 0, evalIters: 20 },
  shakespeare: { ...nanoGPT, blockSize: 256, batchSize: 64, nLayer: 6, nHead: 6, nEmbd: 384, maxIters: 5000, lr: 1e-3, lrDecayIters: 5000, minLr: 1e-4, dropout: 0.2, evalIters: 200 },
};

/** The settings a user may change, named as the CLI's flags (camelCase); unset ones come from the preset. */
export interface ModelFlags {
  preset: string; nLayer?: number; nHead?: number; nEmbd?: number; blockSize?: number; batchSize?: number; dropout?: number; bias: boolean;
  attention: string; nKvHead?: number; kvRank?: number; qRank?: number; ropeDim?: number; pos?: string;
  lr?: number; minLr?: number; warmupIters?: number; lrDecayIters?: number; weightDecay?: number; maxSteps?: number; evalEvery?: number; evalIters?: number;
}

/** The preset with the flags applied: the model config (vocab size still 0) and the training settings. */
export function settingsFromFlags(o: ModelFlags): { model: Omit<TransformerConfig, 'vocabSize'>; train: TrainSettings } {
  const p = PRESETS[o.preset as PresetName];
  if (!p) throw new GradpathError(`unknown preset '${o.preset}'; choose one of ${Object.keys(PRESETS).join(', ')}`);
  const maxIters = o.maxSteps ?? p.maxIters;
  const train: TrainSettings = {
    batchSize: o.batchSize ?? p.batchSize, maxIters, lr: o.lr ?? p.lr, minLr: o.minLr ?? p.minLr,
    warmupIters: o.warmupIters ?? p.warmupIters, lrDecayIters: o.lrDecayIters ?? (o.maxSteps !== undefined ? Math.max(1, o.maxSteps) : p.lrDecayIters),
    weightDecay: o.weightDecay ?? p.weightDecay, beta2: p.beta2, gradClip: p.gradClip,
    evalInterval: o.evalEvery ?? p.evalInterval, evalIters: o.evalIters ?? p.evalIters,
  };
  const nHead = o.nHead ?? p.nHead, nEmbd = o.nEmbd ?? p.nEmbd;
  if (o.dropout !== undefined && !(o.dropout >= 0 && o.dropout < 1)) throw new GradpathError(`--dropout must be in [0, 1) (the probability of zeroing an activation); got ${o.dropout}`);
  if (nEmbd % nHead !== 0) throw new GradpathError(`--n-embd ${nEmbd} is not divisible by --n-head ${nHead}`);
  // a run's config.json names the K/V heads of every design: that value is fine where it is the design's own
  const impliedKvHeads = o.attention === 'mha' ? nHead : o.attention === 'mqa' ? 1 : undefined;
  if (o.nKvHead !== undefined && o.attention !== 'gqa' && o.nKvHead !== impliedKvHeads) throw new GradpathError(`--n-kv-head is for --attention gqa (mha uses n_head K/V heads, mqa one)`);
  if ((o.kvRank ?? o.qRank ?? o.ropeDim) !== undefined && o.attention !== 'mla') throw new GradpathError('--kv-rank, --q-rank and --rope-dim are for --attention mla');
  const model: Omit<TransformerConfig, 'vocabSize'> = {
    blockSize: o.blockSize ?? p.blockSize, nLayer: o.nLayer ?? p.nLayer, nHead, nEmbd,
    dropout: o.dropout ?? p.dropout, bias: o.bias || p.bias, attention: o.attention as AttentionKind,
    pos: (o.pos ?? (o.attention === 'mla' ? 'rope' : 'learned')) as 'learned' | 'rope',
  };
  if (o.nKvHead !== undefined && o.attention === 'gqa') model.nKvHead = o.nKvHead;
  if (o.kvRank !== undefined) model.kvRank = o.kvRank;
  if (o.qRank !== undefined) model.qRank = o.qRank;
  if (o.ropeDim !== undefined) model.ropeDim = o.ropeDim;
  return { model, train };
}

/** The config keys that must match for --resume (the model's shape and its vocabulary). */
export const CONFIG_KEYS = ['vocab', 'vocabSize', 'blockSize', 'nLayer', 'nHead', 'nEmbd', 'bias', 'attention', 'nKvHead', 'kvRank', 'qRank', 'ropeDim', 'pos', 'bidirectional'] as const;
