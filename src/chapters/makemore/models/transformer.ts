import type { Generator } from '../../../engine/random.js';
import { GPT } from '../../../models/gpt.js';
import type { ModelConfig } from './types.js';

/**
 * makemore's Transformer is the path's shared GPT (src/models/gpt.ts): causal self-attention
 * blocks over the characters so far. Like makemore, no dropout and an untied output head.
 */
export function createTransformer(c: ModelConfig, gen: Generator): GPT {
  return new GPT({ vocabSize: c.vocabSize, blockSize: c.blockSize, nLayer: c.nLayer, nHead: c.nHead, nEmbd: c.nEmbd, dropout: 0, bias: true, tieWeights: false }, gen);
}
