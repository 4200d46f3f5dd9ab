/**
 * Megatron's parallel layers, each cut from the whole layer a single process would build (same
 * seed, same initialisation), so the tp model starts equal to it:
 *
 * - ColumnParallelLinear: weight (out/tp, in), each rank computes some output features of the
 *   whole input; entry f (or SP's all-gather); output left split (no gather).
 * - RowParallelLinear: weight (out, in/tp), each rank multiplies its input features; exit g (or
 *   SP's reduce-scatter) sums the partial products; the bias (whole) is added once, after it.
 * - VocabParallelEmbedding: weight (V/tp, C), each rank looks up the tokens it holds and zeros
 *   the rest; the sum over the group (g, or SP's reduce-scatter) completes every row.
 *
 * Each parameter cut from a whole one remembers where it came from (shardPlace), for ShardSpecs.
 */
import { GradpathError } from '../util/errors.js';
import { Tensor } from '../engine/tensor.js';
import { embedding } from '../engine/ops/indexing.js';
import { Module } from '../nn/module.js';
import type { Embedding, Linear } from '../nn/layers.js';
import type { ShardSpec } from './shard-spec.js';
import { copyToTensorParallel, reduceFromTensorParallel, type Part, type TensorParallel } from './tensor-parallel.js';
import { gatherFromSequenceParallel, reduceScatterToSequenceParallel } from './sequence-parallel.js';

/** Where a local parameter sits in its global tensor: a ShardSpec without the name. */
export type ShardPlace = Omit<ShardSpec, 'name'>;

const places = new WeakMap<Tensor, ShardPlace>();

/** Where a parameter cut by cutShard sits in its global tensor; undefined for a whole replica. */
export function shardPlace(p: Tensor): ShardPlace | undefined {
  return places.get(p);
}

/**
 * A new parameter holding `part` of the global tensor along `dim`. With `view`, the global tensor
 * is first viewed as that shape (row-major), e.g. c_attn's (3C, C) as (3, C, C) so that a rank
 * takes the q, k and v rows of its heads; the piece keeps the global tensor's trailing layout.
 */
export function cutShard(full: Tensor, dim: number, part: Part, view?: number[]): Tensor {
  const src = view ? full.detach().reshape(view) : full.detach();
  const piece = src.narrow(dim, part.start, part.length).floatValues().slice(); // a copy, not a view of the whole
  const shape = [...full.shape];
  const along = view ? 0 : dim; // a view splits blocks of dim 0 (the global rows)
  shape[along] = (shape[along] / (view ? view[dim] : full.shape[dim])) * part.length;
  const p = new Tensor(piece, shape).setRequiresGrad();
  places.set(p, { shape: [...full.shape], slice: { dim, start: part.start, length: part.length }, ...(view ? { view: [...view] } : {}) });
  return p;
}

export class ColumnParallelLinear extends Module {
  /**
   * Cuts this rank's output features from a whole Linear: `part` of them, or, with `groups` > 1,
   * `part` of each of `groups` stacked blocks (c_attn: q, k and v of this rank's heads).
   */
  static cut(full: Linear, tp: TensorParallel, part: Part, groups = 1): ColumnParallelLinear {
    const [out, inF] = full.weight.shape;
    const view = groups > 1 ? [groups, out / groups, inF] : undefined;
    const weight = cutShard(full.weight, groups > 1 ? 1 : 0, part, view);
    const bias = full.bias ? cutShard(full.bias, groups > 1 ? 1 : 0, part, groups > 1 ? [groups, out / groups] : undefined) : null;
    return new ColumnParallelLinear(tp, weight, bias);
  }

  /** weight (out/tp, in), bias (out/tp) or null: this rank's rows (a tied head passes the embedding's). */
  constructor(readonly tp: TensorParallel, public weight: Tensor, public bias: Tensor | null) {
    super();
  }

  /** x (B, T, in), or (B, T/tp, in) under SP -> (B, T, out/tp), this rank's features. */
  forward(x: Tensor): Tensor {
    const input = this.tp.sequenceParallel ? gatherFromSequenceParallel(x, this.tp) : copyToTensorParallel(x, this.tp); // (B, T, in)
    const y = input.matmul(this.weight.T); // (B, T, out/tp)
    return this.bias ? y.add(this.bias) : y;
  }
}

export class RowParallelLinear extends Module {
  /** Cuts this rank's input features (`part` of them) from a whole Linear; the bias stays whole. */
  static cut(full: Linear, tp: TensorParallel, part: Part): RowParallelLinear {
    const bias = full.bias ? full.bias.detach().floatValues().slice() : null;
    return new RowParallelLinear(tp, cutShard(full.weight, 1, part), bias ? new Tensor(bias, [...full.bias!.shape]).setRequiresGrad() : null);
  }

  constructor(readonly tp: TensorParallel, public weight: Tensor, public bias: Tensor | null) {
    super();
  }

  /** x (B, T, in/tp) -> (B, T, out), or (B, T/tp, out) under SP: summed over the group, then the bias. */
  forward(x: Tensor): Tensor {
    const partial = x.matmul(this.weight.T); // (B, T, out), this rank's share of the sum
    const y = this.tp.sequenceParallel ? reduceScatterToSequenceParallel(partial, this.tp) : reduceFromTensorParallel(partial, this.tp);
    return this.bias ? y.add(this.bias) : y; // added once, after the sum
  }
}

export class VocabParallelEmbedding extends Module {
  weight: Tensor;
  /** The global rows this rank holds. */
  readonly rows: Part;

  static cut(full: Embedding, tp: TensorParallel): VocabParallelEmbedding {
    return new VocabParallelEmbedding(tp, full.weight);
  }

  constructor(readonly tp: TensorParallel, full: Tensor) {
    super();
    const V = full.shape[0];
    if (V < tp.size) throw new GradpathError(`tensor parallel: a vocabulary of ${V} cannot be split over --tp ${tp.size} ranks`);
    this.rows = tp.vocabPart(V);
    this.weight = cutShard(full, 0, this.rows);
  }

  /** idx (B, T) int32 -> (B, T, C), or (B, T/tp, C) under SP. */
  forward(idx: Tensor): Tensor {
    const ids = idx.intValues();
    const local = new Int32Array(ids.length), mask = new Float32Array(ids.length);
    const { start, length } = this.rows;
    for (let i = 0; i < ids.length; i++) {
      const j = ids[i] - start;
      const mine = j >= 0 && j < length;
      local[i] = mine ? j : 0; // any row; masked to zero below
      mask[i] = mine ? 1 : 0;
    }
    const part = embedding(this.weight, new Tensor(local, [...idx.shape])).mul(new Tensor(mask, [...idx.shape, 1])); // (B, T, C), zero where another rank holds the token
    return this.tp.sequenceParallel ? reduceScatterToSequenceParallel(part, this.tp) : reduceFromTensorParallel(part, this.tp);
  }
}
