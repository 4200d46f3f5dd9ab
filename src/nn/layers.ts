import { GradpathError } from '../util/errors.js';
import { Tensor } from '../engine/tensor.js';
import { defaultGenerator, type Generator } from '../util/random.js';
import { ones, rand, randn, zeros } from '../engine/ops/create.js';
import { layerNorm, batchNorm, dropout } from '../engine/ops/nn.js';
import { embedding } from '../engine/ops/indexing.js';
import { linear } from '../engine/ops/linear.js';
import { Module } from './module.js';

/** The standard layers, with PyTorch's parameter names, layouts and default initialisation. */

/** uniform(-bound, bound), as PyTorch initialises Linear layers. */
export function uniform(shape: number[], bound: number, gen: Generator = defaultGenerator): Tensor {
  return rand(shape, { generator: gen }).mul(2 * bound).sub(bound).detach().setRequiresGrad();
}

/** y = x W^T + b, weight (out, in) as in PyTorch. */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: { bias?: boolean; generator?: Generator } = {}) {
    super();
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = uniform([outFeatures, inFeatures], bound, opts.generator);
    this.bias = opts.bias === false ? null : uniform([outFeatures], bound, opts.generator);
  }
  forward(x: Tensor): Tensor {
    const last = x.shape[x.ndim - 1];
    if (last !== this.inFeatures) throw new GradpathError(`Linear: expected input with last dim ${this.inFeatures}; got shape [${x.shape.join(', ')}]`);
    return linear(x, this.weight, this.bias); // (..., in) @ (in, out) + (out) -> (..., out)
  }
}

/** A lookup table of vectors: weight (num, dim), N(0, 1) init as in PyTorch. */
export class Embedding extends Module {
  weight: Tensor;
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, opts: { generator?: Generator } = {}) {
    super();
    this.weight = randn([numEmbeddings, embeddingDim], { generator: opts.generator }).setRequiresGrad();
  }
  forward(idx: Tensor): Tensor {
    return embedding(this.weight, idx); // (...) -> (..., dim)
  }
}

export class LayerNorm extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(readonly dim: number, opts: { eps?: number; bias?: boolean } = {}) {
    super();
    this.eps = opts.eps ?? 1e-5;
    this.weight = ones([dim]).setRequiresGrad();
    this.bias = opts.bias === false ? null : zeros([dim]).setRequiresGrad();
  }
  readonly eps: number;
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}

/**
 * What every batch norm holds (PyTorch's _BatchNorm): a scale and shift per channel, and running
 * statistics for eval mode. BatchNorm1d and BatchNorm2d (nn/conv.ts) differ only in the axes.
 */
export abstract class BatchNormBase extends Module {
  weight: Tensor;
  bias: Tensor;
  declare running_mean: Tensor;
  declare running_var: Tensor;
  readonly eps: number;
  readonly momentum: number;
  constructor(readonly numFeatures: number, opts: { eps?: number; momentum?: number } = {}) {
    super();
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    this.weight = ones([numFeatures]).setRequiresGrad();
    this.bias = zeros([numFeatures]).setRequiresGrad();
    this.registerBuffer('running_mean', zeros([numFeatures]));
    this.registerBuffer('running_var', ones([numFeatures]));
  }
}

/** BatchNorm over (N, C) or (N, C, L), with running statistics for eval mode. */
export class BatchNorm1d extends BatchNormBase {
  forward(x: Tensor): Tensor {
    return batchNorm(x, this.running_mean, this.running_var, this.weight, this.bias, this.training, this.momentum, this.eps);
  }
}

export class Dropout extends Module {
  constructor(readonly p = 0.5, readonly generator: Generator = defaultGenerator) {
    super();
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.generator);
  }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor { return x.relu(); }
}
export class Tanh extends Module {
  forward(x: Tensor): Tensor { return x.tanh(); }
}
export class GELU extends Module {
  forward(x: Tensor): Tensor { return x.gelu(); }
}

/** Anything with a forward(x) of one tensor. */
export interface Layer { forward(x: Tensor): Tensor }

/** Runs layers in order; names are `0`, `1`, ... as in PyTorch. */
export class Sequential extends Module {
  layers: (Module & Layer)[];
  constructor(...layers: (Module & Layer)[]) {
    super();
    this.layers = layers;
  }
  override namedChildren(): [string, Module][] {
    return this.layers.map((l, i) => [String(i), l]);
  }
  forward(x: Tensor): Tensor {
    for (const l of this.layers) x = l.forward(x);
    return x;
  }
}
