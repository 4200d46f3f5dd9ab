import type { Module } from '../nn/module.js';
import type { ParamGroup } from './optimizer.js';

/**
 * Weight-decay grouping as nanoGPT's configure_optimizers: decay every parameter with two or more
 * dimensions (matmul weights, embeddings), none on vectors (biases, LayerNorm gains and shifts),
 * which only shift or scale and gain nothing from being pulled to zero. The decayed group comes
 * first, each in the model's parameter order, so optimizer state indices stay stable.
 */
export function decayGroups(model: Module, weightDecay: number): ParamGroup[] {
  const params = model.parameters();
  return [
    { params: params.filter((p) => p.ndim >= 2), weightDecay },
    { params: params.filter((p) => p.ndim < 2), weightDecay: 0 },
  ];
}
