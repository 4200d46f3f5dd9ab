/**
 * The global gradient norm of a run whose modes split the model: each mode knows which of its
 * gradients are pieces that other ranks complete (tensor parallel's cut weights, a pipeline's
 * other stages) and which are copies to count once (tp's whole LayerNorms, the tied embedding's
 * copy on the last stage). What it needs from below is only a sum of squares per group of
 * parameters, and that depends on where the gradients live: whole in .grad on this rank (plain
 * runs and DDP), or reduce-scattered into pieces over the dp group (ZeRO, zero.ts), whose sums
 * are then summed over the group.
 */
import type { Tensor } from '../engine/tensor.js';
import { getBackend } from '../engine/device.js';

/** For each group of parameters, the sum of the squares of their gradients (the same number on every rank that calls it). */
export type GradSquares = (groups: Tensor[][]) => number[];

/** The gradients in .grad on this rank (a group's parameters without a gradient count as zeros). */
export const localGradSquares: GradSquares = (groups) => {
  const backend = getBackend();
  return groups.map((g) => g.reduce((sq, p) => sq + (p.grad ? backend.sumSquares(p.grad.storage as Float32Array) : 0), 0));
};
