/**
 * Sequence parallelism (Korthikanti et al. 2022, "Reducing Activation Recomputation in Large
 * Transformer Models"), on top of tensor parallelism. Between the tensor-parallel layers every
 * rank of plain TP holds the whole activation (B, T, C) and repeats the same LayerNorms, dropouts
 * and residual adds. With SP each rank keeps only its slice of the sequence, (B, T/tp, C), for
 * those regions, so their activations take 1/tp of the memory, and the collectives change shape
 * without growing:
 *
 *   entry of a column-parallel layer:  all-gather along T      (backward: reduce-scatter)
 *   exit of a row-parallel layer:      reduce-scatter along T  (backward: all-gather)
 *
 * An all-reduce is a reduce-scatter followed by an all-gather, so SP moves the same bytes as TP.
 * Parameters used inside the slices (LayerNorms, the position table, row-parallel biases) see only
 * their rank's positions: their gradients are summed over the group after backward
 * (tensor-parallel-model.ts).
 *
 * Layout: activations are (B, T, C) with the sequence in dim 1, so a rank's slice is not one block
 * of memory; each collective goes through a rank-major copy (tp, B, T/tp, C). (Megatron keeps
 * activations as (T, B, C) to avoid that copy.)
 */
import { Tensor } from '../engine/tensor.js';
import { applyFunction } from '../engine/function.js';
import { floatsUninit, recycle } from '../engine/pool.js';
import { Dropout } from '../nn/layers.js';
import type { Generator } from '../util/random.js';
import type { Part, TensorParallel } from './tensor-parallel.js';

/** x (B, T, C) -> its values as (tp, B, T/tp, C): block r is rank r's slice of the sequence. */
function rankMajor(x: Tensor, tp: TensorParallel): Float32Array {
  const [B, T, C] = x.shape;
  return x.detach().reshape(B, tp.size, T / tp.size, C).permute(1, 0, 2, 3).contiguous().floatValues(); // (tp, B, T/tp, C)
}

/** The inverse of rankMajor: (tp, B, T/tp, C) values -> (B, T, C); v is given back to the pool. */
function fromRankMajor(v: Float32Array, B: number, T: number, C: number, tp: TensorParallel): Tensor {
  if (B === 1) return new Tensor(v, [1, T, C]); // rank-major already is sequence order
  const out = new Tensor(v, [tp.size, B, T / tp.size, C]).permute(1, 0, 2, 3).contiguous().reshape(B, T, C);
  recycle(v);
  return out;
}

function gatherValues(x: Tensor, tp: TensorParallel, label: string): Tensor {
  const [B, Tl, C] = x.shape; // (B, T/tp, C)
  const out = floatsUninit(tp.size * x.numel());
  tp.allGather(x.floatValues(), out, label);
  return fromRankMajor(out, B, Tl * tp.size, C, tp); // (B, T, C)
}

function reduceScatterValues(x: Tensor, tp: TensorParallel, label: string): Tensor {
  const [B, T, C] = x.shape; // (B, T, C), a partial sum on each rank
  const Tl = tp.part(T, 'the sequence length').length;
  const out = floatsUninit(B * Tl * C);
  const input = rankMajor(x, tp);
  tp.reduceScatter(input, out, label);
  if (input !== x.data) recycle(input); // a copy made here, dead now
  return new Tensor(out, [B, Tl, C]); // (B, T/tp, C)
}

/** This rank's slice of a sequence of length T. */
export function sequencePart(T: number, tp: TensorParallel): Part {
  return tp.part(T, 'the sequence length (block size)');
}

/** (B, T/tp, C) -> (B, T, C): the entry of a column-parallel layer under SP (backward: reduce-scatter). */
export function gatherFromSequenceParallel(x: Tensor, tp: TensorParallel): Tensor {
  return applyFunction('GatherFromSequenceParallel', [x], gatherValues(x, tp, 'sp all-gather (forward)'), (g) => [reduceScatterValues(g, tp, 'sp reduce-scatter (backward)')]);
}

/** (B, T, C) partial sums -> (B, T/tp, C) summed: the exit of a row-parallel layer under SP (backward: all-gather). */
export function reduceScatterToSequenceParallel(x: Tensor, tp: TensorParallel): Tensor {
  return applyFunction('ReduceScatterToSequenceParallel', [x], reduceScatterValues(x, tp, 'sp reduce-scatter (forward)'), (g) => [gatherValues(g, tp, 'sp all-gather (backward)')]);
}

/**
 * Dropout on a part of a tensor, with exactly the mask a single process draws for the whole
 * (fullShape) tensor at this point of the generator's stream: every number of the whole mask is
 * drawn (every rank draws the same ones, so the generators stay in step) and only this part's,
 * along `dim`, kept: the mask takes 1/tp of the memory. Used for sequence slices under SP and for
 * attention heads under TP.
 */
export function dropoutPart(x: Tensor, d: Dropout, fullShape: number[], dim: number, part: Part): Tensor {
  if (!d.training || d.p === 0) return x;
  const outer = fullShape.slice(0, dim).reduce((a, b) => a * b, 1), inner = fullShape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const mask = new Float32Array(outer * part.length * inner);
  const scale = 1 / (1 - d.p);
  const gen: Generator = d.generator;
  let k = 0;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < fullShape[dim]; j++) {
      const mine = j >= part.start && j < part.start + part.length;
      for (let r = 0; r < inner; r++) {
        const keep = gen.random() < d.p ? 0 : scale; // in the order engine/ops/nn.ts dropout draws
        if (mine) mask[k++] = keep;
      }
    }
  }
  const shape = [...fullShape];
  shape[dim] = part.length;
  return x.mul(new Tensor(mask, shape));
}

/** A Dropout over this rank's slice (B, T/tp, C) of the sequence, masked as the single process masks (B, T, C). */
export class SequenceParallelDropout extends Dropout {
  constructor(p: number, generator: Generator, readonly tp: TensorParallel) {
    super(p, generator);
  }
  override forward(x: Tensor): Tensor {
    const [B, Tl, C] = x.shape;
    return dropoutPart(x, this, [B, Tl * this.tp.size, C], 1, { start: this.tp.rank * Tl, length: Tl });
  }
}
