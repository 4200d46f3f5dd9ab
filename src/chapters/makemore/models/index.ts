import type { Generator } from '../../../util/random.js';
import { Bigram } from './bigram.js';
import { MLP, MLP_CONTEXT } from './mlp.js';
import { WaveNet, WAVENET_CONTEXT } from './wavenet.js';
import { createRNN } from './rnn.js';
import { createGRU } from './gru.js';
import { createLSTM } from './lstm.js';
import { BoW } from './bow.js';
import { createTransformer } from './transformer.js';
import type { CharModel, ModelConfig } from './types.js';

export type { CharModel, ModelConfig } from './types.js';

export const MODEL_TYPES = ['bigram', 'mlp', 'wavenet', 'rnn', 'gru', 'lstm', 'bow', 'transformer'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

/** Per-type settings that replace the global flag defaults when the flag is not given. */
export interface TypeDefaults {
  learningRate: number;
  maxSteps: number;
  nEmbd?: number;
  nEmbd2?: number;
  dropout?: number;
}

/**
 * Why they differ: the lectures trained the bigram, MLP and WaveNet with plain SGD at lr 0.1
 * and 200K small steps; with AdamW and a batch of 32 whole names (~220 predictions), a few
 * thousand steps at a larger lr do the same work. Sizes follow the lectures: MLP 10-d
 * embeddings and 200 hidden units (part 2), WaveNet 24-d embeddings and 128 hidden (part 5).
 * The sequence models keep makemore's sizes (n_embd = n_embd2 = 64).
 */
export const TYPE_DEFAULTS: Record<ModelType, TypeDefaults> = {
  bigram: { learningRate: 0.1, maxSteps: 3000 },
  mlp: { learningRate: 5e-3, maxSteps: 10000, nEmbd: 10, nEmbd2: 200 },
  wavenet: { learningRate: 5e-3, maxSteps: 8000, nEmbd: 24, nEmbd2: 128 },
  rnn: { learningRate: 2e-3, maxSteps: 3000 },
  gru: { learningRate: 2e-3, maxSteps: 3000 },
  lstm: { learningRate: 2e-3, maxSteps: 3000 },
  bow: { learningRate: 2e-3, maxSteps: 3000 },
  // the no-flag run: a couple of minutes on two cores (the results table trains 20,000 steps)
  transformer: { learningRate: 1e-3, maxSteps: 1500, dropout: 0.1 },
};

/** How many previous characters a model can see (the rest of the item does not matter to it). */
export function contextLength(type: ModelType, blockSize: number): number {
  if (type === 'bigram') return 1;
  if (type === 'mlp') return MLP_CONTEXT;
  if (type === 'wavenet') return WAVENET_CONTEXT;
  return blockSize;
}

export function createModel(type: ModelType, c: ModelConfig, gen: Generator): CharModel {
  switch (type) {
    case 'bigram': return new Bigram(c);
    case 'mlp': return new MLP(c, gen);
    case 'wavenet': return new WaveNet(c, gen);
    case 'rnn': return createRNN(c, gen);
    case 'gru': return createGRU(c, gen);
    case 'lstm': return createLSTM(c, gen);
    case 'bow': return new BoW(c, gen);
    case 'transformer': return createTransformer(c, gen);
  }
}
