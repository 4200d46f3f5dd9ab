import type { Tensor } from '../../../engine/tensor.js';
import type { Module } from '../../../nn/module.js';

/** Hyperparameters every makemore model is built from (each uses the ones it needs). */
export interface ModelConfig {
  vocabSize: number;
  /** Longest item + 1: the sequence length of a batch row. */
  blockSize: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  nEmbd2: number;
  /** Dropout probability (the transformer's attention and residual paths; the others ignore it). */
  dropout?: number;
}

/**
 * A character model: idx (B, T) int32 -> logits (B, T, vocab). With targets (B, T), padded
 * with -1, also the mean cross-entropy over the real positions. (Window models score only the
 * real positions when given targets, so their logits are then (N, vocab).)
 */
export type CharModel = Module & {
  forward(idx: Tensor, targets?: Tensor): { logits: Tensor; loss: Tensor | null };
};
