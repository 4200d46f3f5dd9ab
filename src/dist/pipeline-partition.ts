/**
 * Which blocks each pipeline stage holds. Stages get consecutive blocks, balanced by count: with
 * n_layer = q * pp + r, the first r stages hold q + 1 blocks and the others q (picotron's split).
 * The embeddings (first stage) and ln_f with the head (last stage) are not counted: a lookup
 * costs nearly nothing, and the head's matmul (2 C V FLOPs per token) is small beside a block's
 * (24 C^2) at chargpt's vocabulary of 65; at GPT-2's 50257 it weighs about as much as 5 blocks (V / 12 C),
 * and giving the earlier stages the extra blocks is the only correction made for it.
 */
import { GradpathError } from '../util/errors.js';

/** Blocks [start, end) of stage `stage` of `pp`. */
export function stageLayers(nLayer: number, pp: number, stage: number): [number, number] {
  if (!Number.isInteger(pp) || pp < 1) throw new GradpathError(`--pp must be a positive integer; got ${pp}`);
  if (pp > nLayer) throw new GradpathError(`--pp ${pp} is more pipeline stages than the model's ${nLayer} layers; use --pp ${nLayer} or fewer (or more --n-layer)`);
  if (!Number.isInteger(stage) || stage < 0 || stage >= pp) throw new Error(`stageLayers: stage ${stage} is not in 0..${pp - 1}`);
  const q = Math.floor(nLayer / pp), r = nLayer % pp;
  const start = stage * q + Math.min(stage, r);
  return [start, start + q + (stage < r ? 1 : 0)];
}
