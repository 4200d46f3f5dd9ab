import type { Generator } from '../../../util/random.js';
import { GPT } from '../../../models/gpt.js';
import type { ModelConfig } from './types.js';

/**
 * makemore's Transformer is the path's shared GPT (src/models/gpt.ts): causal self-attention
 * blocks over the characters so far. Like makemore: biases, an untied output head, and PyTorch's
 * default initialisation (embeddings N(0, 1), Linear U(±1/sqrt(fan_in))) rather than GPT-2's
 * N(0, 0.02), which on names.txt learns faster and generalises better (docs/makemore.md).
 * Unlike makemore, dropout (0.1 by default): 200K parameters memorise 31K names quickly.
 */
export function createTransformer(c: ModelConfig, gen: Generator): GPT {
  return new GPT({ vocabSize: c.vocabSize, blockSize: c.blockSize, nLayer: c.nLayer, nHead: c.nHead, nEmbd: c.nEmbd, dropout: c.dropout ?? 0, bias: true, tieWeights: false, init: 'pytorch' }, gen);
}
