import { GradpathError } from '../../util/errors.js';
import { Generator } from '../../util/random.js';
import { arange } from '../../engine/ops/create.js';
import { noGrad } from '../../engine/autograd.js';
import type { Tensor } from '../../engine/tensor.js';
import { GPT } from '../../models/gpt.js';
import { LoRALinear, freeze } from '../../nn/lora.js';
import { Linear } from '../../nn/layers.js';

/** Model sizes, picked by measurement on a loaded 2-core machine (docs/physics.md, "Compute"). */
export const MODEL_SIZES = {
  tiny: { nLayer: 2, nHead: 2, nEmbd: 32 },
  small: { nLayer: 4, nHead: 4, nEmbd: 64 },
  medium: { nLayer: 4, nHead: 4, nEmbd: 128 },
  base: { nLayer: 6, nHead: 6, nEmbd: 192 },
} as const;
export type ModelSize = keyof typeof MODEL_SIZES;
export const MODEL_NAMES = Object.keys(MODEL_SIZES) as ModelSize[];

export function buildModel(size: ModelSize, vocabSize: number, blockSize: number, seed: number): GPT {
  const s = MODEL_SIZES[size];
  if (!s) throw new GradpathError(`physics: unknown --model '${size}'; use ${MODEL_NAMES.join(', ')}`);
  return new GPT({ vocabSize, blockSize, ...s, dropout: 0, bias: true }, new Generator(seed));
}

/**
 * The residual stream after the embeddings (layer 0) and after each block (layers 1..L), each
 * (B, T, C): GPT.forward's own steps, kept instead of discarded (the probes read them).
 */
export function hiddenStates(model: GPT, idx: Tensor): Tensor[] {
  return noGrad(() => {
    const T = idx.shape[1];
    let x = model.wte.forward(idx); // (B, T, C)
    if (model.wpe) x = x.add(model.wpe.forward(arange(0, T))); // + (T, C)
    const out = [x];
    for (const block of model.h) {
      x = block.forward(x, { pos: 0 });
      out.push(x);
    }
    return out;
  });
}

/**
 * Freezes the model and puts LoRA adapters of rank r on every block's attention input
 * projection (q, k and v, packed in c_attn), as the paper's low-rank QA finetune: only the
 * adapters train. Adapter parameters are named h.<i>.attn.c_attn.lora_A / lora_B.
 */
export function addLoRA(model: GPT, rank: number, seed: number): void {
  const gen = new Generator(seed);
  freeze(model);
  for (const block of model.h) {
    const attn = block.attn as unknown as { c_attn: { forward(x: Tensor): Tensor } };
    if (!(attn.c_attn instanceof Linear)) throw new GradpathError('physics: LoRA adapters are already in place (addLoRA twice)');
    attn.c_attn = new LoRALinear(attn.c_attn, rank, { alpha: rank, generator: gen });
  }
}
