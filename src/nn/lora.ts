import { GradpathError } from '../util/errors.js';
import type { Tensor } from '../engine/tensor.js';
import { zeros } from '../engine/ops/create.js';
import { linear } from '../engine/ops/linear.js';
import { defaultGenerator, type Generator } from '../util/random.js';
import { Linear, uniform } from './layers.js';
import { Module } from './module.js';

/**
 * LoRA (Hu et al., "Low-Rank Adaptation of Large Language Models"): a Linear whose weight is
 * frozen and whose change is learned as a rank-r product,
 *   y = x W^T + b + (alpha / r) * (x A^T) B^T,   A (r, in), B (out, r).
 * B starts at zero, so the wrapped layer starts out computing exactly what it did. The frozen
 * weight and bias are buffers: they stay in the state dict under their old names (`weight`,
 * `bias`) beside `lora_A` and `lora_B`, but are not parameters, so an optimizer built on
 * parameters() trains the adapter alone.
 */
export class LoRALinear extends Module {
  declare weight: Tensor;
  declare bias: Tensor | null;
  lora_A: Tensor;
  lora_B: Tensor;
  readonly scaling: number;
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(base: Linear, readonly rank: number, opts: { alpha?: number; generator?: Generator } = {}) {
    super();
    if (!(Number.isInteger(rank) && rank >= 1)) throw new GradpathError(`LoRALinear: rank must be a positive integer; got ${rank}`);
    this.inFeatures = base.inFeatures;
    this.outFeatures = base.outFeatures;
    this.registerBuffer('weight', base.weight.detach()); // (out, in), frozen
    if (base.bias) this.registerBuffer('bias', base.bias.detach());
    else this.bias = null;
    // A as PyTorch's peft starts it (a Linear's init); B at zero: the update starts at 0
    this.lora_A = uniform([rank, this.inFeatures], 1 / Math.sqrt(this.inFeatures), opts.generator ?? defaultGenerator);
    this.lora_B = zeros([this.outFeatures, rank]).setRequiresGrad();
    this.scaling = (opts.alpha ?? rank) / rank;
  }

  forward(x: Tensor): Tensor {
    const last = x.shape[x.ndim - 1];
    if (last !== this.inFeatures) throw new GradpathError(`LoRALinear: expected input with last dim ${this.inFeatures}; got shape [${x.shape.join(', ')}]`);
    const frozen = linear(x, this.weight, this.bias); // (..., out)
    const update = linear(linear(x, this.lora_A, null), this.lora_B, null); // (..., in) -> (..., r) -> (..., out)
    return frozen.add(update.mul(this.scaling));
  }
}

/**
 * Stops training every parameter of a module (requiresGrad off), as `p.requires_grad_(False)` over
 * `parameters()`. Unlike PyTorch, a frozen tensor then also leaves this Module's state dict (it lists
 * parameters by requiresGrad): keep what must be saved as a buffer, as LoRALinear does.
 */
export function freeze(module: Module): void {
  for (const p of module.parameters()) p.requiresGrad = false;
}
