/**
 * The transformers chapter as a library: `import { buildModel, MultiHeadLatentAttention } from 'gradpath/transformers'`.
 * The GPT itself is src/models/gpt.ts (shared with makemore and GPT-2); this chapter adds the
 * attention designs, RoPE, the KV-cache accounting, the char-level data, training and the encoder.
 */
export { Rope } from './rope.js';
export { GroupedQueryAttention, MultiHeadLatentAttention, type AttentionOptions, type MLAOptions } from './attention.js';
export { buildModel, resolveConfig, attentionFactory, kvFormulas, kvElementsPerToken, type AttentionKind, type TransformerConfig } from './model.js';
export { CharData, TINY_SHAKESPEARE, loadText } from './data.js';
export { PRESETS, type Preset } from './presets.js';
export { train, makeOptimizer, type TrainSettings, type TrainJob, type TrainResult } from './train.js';
export { maskBatch, Baselines, MASK_RATE } from './encoder.js';
export { attentionSvg } from './svg.js';
export { KVCache, GPT, type AttentionContext, type AttentionFactory } from '../../models/gpt.js';
export { saveNanoGPT, loadChargpt, nanoGPTState, nanoGPTConfig, checkNanoGPTCompatible, type ChargptConfig } from './export.js';
