import { PRESETS, type Preset, type PresetName } from '../chapters/transformers/presets.js';
import { commonFlags } from './flags.js';
import type { OptionSpecs } from './args.js';

/** "cpu 4, shakespeare 6": a preset setting's value in each preset, for --help. */
function perPreset(key: keyof Preset): string {
  return (Object.keys(PRESETS) as PresetName[]).map((name) => `${name} ${PRESETS[name][key]}`).join(', ');
}

/** Flags shared by chargpt and encoder: every model and training knob, defaulting to the preset's data. */
export const transformerFlags = {
  input: { type: 'string', short: 'i', path: 'file', help: 'Text file to train on (default: tinyshakespeare via $GRADPATH_DATA_DIR, the cache or a download)', placeholder: 'FILE' },
  preset: { type: 'choice', choices: Object.keys(PRESETS) as PresetName[], default: 'cpu', help: 'Model size and training settings (nanoGPT)' },
  'n-layer': { type: 'int', min: 1, help: `Transformer blocks (${perPreset('nLayer')})` },
  'n-head': { type: 'int', min: 1, help: `Attention (query) heads (${perPreset('nHead')})` },
  'n-embd': { type: 'int', min: 1, help: `Embedding width (${perPreset('nEmbd')})` },
  'block-size': { type: 'int', min: 1, help: `Context length (${perPreset('blockSize')})` },
  'batch-size': { type: 'int', min: 1, help: `Sequences per iteration (${perPreset('batchSize')})` },
  dropout: { type: 'float', min: 0, help: `Dropout probability (${perPreset('dropout')})` },
  bias: { type: 'boolean', help: 'Biases in Linear and LayerNorm layers (nanoGPT: off)' },
  attention: { type: 'choice', choices: ['mha', 'mqa', 'gqa', 'mla'], default: 'mha', help: 'Attention design' },
  'n-kv-head': { type: 'int', min: 1, help: 'GQA: K/V heads, must divide --n-head (default n_head / 2)' },
  'kv-rank': { type: 'int', min: 1, help: 'MLA: d_c, the cached K/V latent (default n_embd / 2)' },
  'q-rank': { type: 'int', min: 1, help: "MLA: d_c', the query latent (default n_embd / 2)" },
  'rope-dim': { type: 'int', min: 2, help: 'MLA: d_h^R, the decoupled RoPE dims (default head size / 2)' },
  pos: { type: 'choice', choices: ['learned', 'rope'], help: 'Positions: learned table or rotary (default: learned; rope for mla)' },
  lr: { ...commonFlags.lr, help: `Peak learning rate (${perPreset('lr')})` },
  'min-lr': { type: 'float', min: 0, help: `Final learning rate of the cosine decay (${perPreset('minLr')})` },
  'warmup-iters': { type: 'int', min: 0, help: `Linear warmup iterations (${perPreset('warmupIters')})` },
  'lr-decay-iters': { type: 'int', min: 1, help: `Cosine decay length (${perPreset('lrDecayIters')}; follows --max-steps when only that is given)` },
  'weight-decay': { type: 'float', min: 0, help: `AdamW weight decay on matrices (${perPreset('weightDecay')})` },
  'max-steps': { ...commonFlags['max-steps'], min: 0, help: `Training iterations (${perPreset('maxIters')})` },
  'eval-every': { ...commonFlags['eval-every'], help: `Evaluate both splits every N iterations (${perPreset('evalInterval')})` },
  'eval-iters': { type: 'int', min: 1, help: `Batches per evaluation (${perPreset('evalIters')})` },
  seed: { type: 'int', default: 1337, help: 'Random seed' },
  out: { ...commonFlags.out, help: 'Run directory (config, metrics.jsonl, checkpoints, samples; default runs/<command>-<preset>)' },
  resume: commonFlags.resume,
  force: commonFlags.force,
  json: commonFlags.json,
  quiet: { type: 'boolean', help: 'No progress display' },
  backend: commonFlags.backend,
} satisfies OptionSpecs;
