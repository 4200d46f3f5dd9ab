import type { OptionSpecs } from '../../cli/args.js';
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
export const PRESETS: Record<'cpu' | 'shakespeare', Preset> = {
  cpu: { ...nanoGPT, blockSize: 64, batchSize: 12, nLayer: 4, nHead: 4, nEmbd: 128, maxIters: 2000, lr: 1e-3, lrDecayIters: 2000, minLr: 1e-4, dropout: 0, evalIters: 20 },
  shakespeare: { ...nanoGPT, blockSize: 256, batchSize: 64, nLayer: 6, nHead: 6, nEmbd: 384, maxIters: 5000, lr: 1e-3, lrDecayIters: 5000, minLr: 1e-4, dropout: 0.2, evalIters: 200 },
};

/** Flags shared by chargpt and encoder: every model and training knob, defaulting to the preset. */
export const modelOptions = {
  input: { type: 'string', short: 'i', help: 'Text file to train on (default: tinyshakespeare via $GRADPATH_DATA_DIR, the cache or a download)', placeholder: 'FILE' },
  preset: { type: 'choice', choices: ['cpu', 'shakespeare'], default: 'cpu', help: 'Model size and training settings (nanoGPT)' },
  'n-layer': { type: 'int', min: 1, help: 'Transformer blocks (preset)' },
  'n-head': { type: 'int', min: 1, help: 'Attention (query) heads (preset)' },
  'n-embd': { type: 'int', min: 1, help: 'Embedding width (preset)' },
  'block-size': { type: 'int', min: 1, help: 'Context length (preset)' },
  'batch-size': { type: 'int', min: 1, help: 'Sequences per iteration (preset)' },
  dropout: { type: 'float', min: 0, help: 'Dropout probability (preset)' },
  bias: { type: 'boolean', help: 'Biases in Linear and LayerNorm layers (nanoGPT: off)' },
  attention: { type: 'choice', choices: ['mha', 'mqa', 'gqa', 'mla'], default: 'mha', help: 'Attention design' },
  'n-kv-head': { type: 'int', min: 1, help: 'GQA: K/V heads, must divide --n-head (default n_head / 2)' },
  'kv-rank': { type: 'int', min: 1, help: 'MLA: d_c, the cached K/V latent (default n_embd / 2)' },
  'q-rank': { type: 'int', min: 1, help: "MLA: d_c', the query latent (default n_embd / 2)" },
  'rope-dim': { type: 'int', min: 2, help: 'MLA: d_h^R, the decoupled RoPE dims (default head size / 2)' },
  pos: { type: 'choice', choices: ['learned', 'rope'], help: 'Positions: learned table or rotary (default: learned; rope for mla)' },
  lr: { type: 'float', min: 0, help: 'Peak learning rate (preset)' },
  'min-lr': { type: 'float', min: 0, help: 'Final learning rate of the cosine decay (preset)' },
  'warmup-iters': { type: 'int', min: 0, help: 'Linear warmup iterations (preset)' },
  'lr-decay-iters': { type: 'int', min: 1, help: 'Cosine decay length (preset; follows --max-iters when only that is given)' },
  'weight-decay': { type: 'float', min: 0, help: 'AdamW weight decay on matrices (0.1)' },
  'max-iters': { type: 'int', min: 0, help: 'Training iterations (preset)' },
  'eval-interval': { type: 'int', min: 1, help: 'Evaluate both splits every N iterations (250)' },
  'eval-iters': { type: 'int', min: 1, help: 'Batches per evaluation (preset)' },
  seed: { type: 'int', default: 1337, help: 'Random seed' },
  out: { type: 'string', short: 'o', help: 'Run directory (config, metrics.jsonl, checkpoints, samples)', placeholder: 'DIR' },
  resume: { type: 'boolean', help: 'Continue the run in --out from latest.safetensors, exactly' },
  json: { type: 'boolean', help: 'Print a JSON summary as the last line' },
  quiet: { type: 'boolean', help: 'No progress display' },
} satisfies OptionSpecs;

export interface ModelFlags {
  preset: string; nLayer?: number; nHead?: number; nEmbd?: number; blockSize?: number; batchSize?: number; dropout?: number; bias: boolean;
  attention: string; nKvHead?: number; kvRank?: number; qRank?: number; ropeDim?: number; pos?: string;
  lr?: number; minLr?: number; warmupIters?: number; lrDecayIters?: number; weightDecay?: number; maxIters?: number; evalInterval?: number; evalIters?: number;
}

/** The preset with the flags applied: the model config (vocab size still 0) and the training settings. */
export function settingsFromFlags(o: ModelFlags): { model: Omit<TransformerConfig, 'vocabSize'>; train: TrainSettings } {
  const p = PRESETS[o.preset as 'cpu' | 'shakespeare'];
  const maxIters = o.maxIters ?? p.maxIters;
  const train: TrainSettings = {
    batchSize: o.batchSize ?? p.batchSize, maxIters, lr: o.lr ?? p.lr, minLr: o.minLr ?? p.minLr,
    warmupIters: o.warmupIters ?? p.warmupIters, lrDecayIters: o.lrDecayIters ?? (o.maxIters !== undefined ? Math.max(1, o.maxIters) : p.lrDecayIters),
    weightDecay: o.weightDecay ?? p.weightDecay, beta2: p.beta2, gradClip: p.gradClip,
    evalInterval: o.evalInterval ?? p.evalInterval, evalIters: o.evalIters ?? p.evalIters,
  };
  const nHead = o.nHead ?? p.nHead, nEmbd = o.nEmbd ?? p.nEmbd;
  if (nEmbd % nHead !== 0) throw new GradpathError(`--n-embd ${nEmbd} is not divisible by --n-head ${nHead}`);
  if (o.nKvHead !== undefined && o.attention !== 'gqa') throw new GradpathError(`--n-kv-head is for --attention gqa (mha uses n_head K/V heads, mqa one)`);
  if ((o.kvRank ?? o.qRank ?? o.ropeDim) !== undefined && o.attention !== 'mla') throw new GradpathError('--kv-rank, --q-rank and --rope-dim are for --attention mla');
  const model: Omit<TransformerConfig, 'vocabSize'> = {
    blockSize: o.blockSize ?? p.blockSize, nLayer: o.nLayer ?? p.nLayer, nHead, nEmbd,
    dropout: o.dropout ?? p.dropout, bias: o.bias || p.bias, attention: o.attention as AttentionKind,
    pos: (o.pos ?? (o.attention === 'mla' ? 'rope' : 'learned')) as 'learned' | 'rope',
  };
  if (o.nKvHead !== undefined) model.nKvHead = o.nKvHead;
  if (o.kvRank !== undefined) model.kvRank = o.kvRank;
  if (o.qRank !== undefined) model.qRank = o.qRank;
  if (o.ropeDim !== undefined) model.ropeDim = o.ropeDim;
  return { model, train };
}

/** The config keys that must match for --resume (the model's shape and its vocabulary). */
export const CONFIG_KEYS = ['vocab', 'vocabSize', 'blockSize', 'nLayer', 'nHead', 'nEmbd', 'bias', 'attention', 'nKvHead', 'kvRank', 'qRank', 'ropeDim', 'pos', 'bidirectional'] as const;
