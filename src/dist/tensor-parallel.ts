/**
 * Tensor parallelism (Megatron-LM, Shoeybi et al. 2019; the Ultra-Scale Playbook's chapter on it):
 * the weight matrices of each block are split over the ranks of the tp group, so each rank holds
 * and multiplies 1/tp of every layer. Two conjugate operators carry the activations between the
 * split and the whole:
 *
 *   f (copyToTensorParallel):     forward identity,   backward all-reduce
 *   g (reduceFromTensorParallel): forward all-reduce, backward identity
 *
 * A column-parallel layer (each rank computes some output features) starts with f: its input is
 * the whole activation, and the gradient flowing back into it is the sum of every rank's part.
 * A row-parallel layer (each rank has some input features) ends with g: every rank's partial
 * product is summed. So an MLP or attention layer costs one all-reduce forward and one backward.
 *
 * The operators are custom autograd ops (engine/function.ts): the engine's op table cannot name a
 * communicator (engine sits below dist), so the closure carries it. Inside the synchronous
 * forward and backward a collective is queued and then waited for at once (Communicator.waitAll),
 * the wait recorded as exposed communication on the step timeline.
 */
import { GradpathError } from '../util/errors.js';
import { Tensor } from '../engine/tensor.js';
import { applyFunction } from '../engine/function.js';
import { floatsUninit } from '../engine/pool.js';
import type { Communicator } from './communicator.js';
import { stepTimeline } from './timeline.js';
import { currentProcessGroup } from './process-group.js';

/** What tensor parallelism needs of a communicator (a Communicator; a size-1 group needs none). */
export type TensorParallelComm = Pick<Communicator, 'rank' | 'size' | 'allReduce' | 'allGather' | 'reduceScatter' | 'waitAll'>;

/** A part [start, start + length) of n items. */
export interface Part {
  start: number;
  length: number;
}

/**
 * The tp group of this rank and how the model is split over it: every parallel layer and
 * operator takes one. With sequenceParallel, the LayerNorm and dropout regions hold a T/tp slice
 * of the sequence (sequence-parallel.ts).
 */
export class TensorParallel {
  readonly rank: number;
  readonly size: number;

  constructor(readonly comm: TensorParallelComm | null, readonly sequenceParallel = false) {
    this.rank = comm?.rank ?? 0;
    this.size = comm?.size ?? 1;
  }

  /** Whether this process is rank 0 of the job: the one that prints progress and writes the run directory. */
  get leads(): boolean {
    return (currentProcessGroup()?.rank ?? 0) === 0;
  }

  /** One process, no communication: every operator is the identity (for gradient checks). */
  static single(sequenceParallel = false): TensorParallel {
    return new TensorParallel(null, sequenceParallel);
  }

  /** This rank's equal part of n items (heads, features, positions); n must divide evenly. */
  part(n: number, what: string): Part {
    if (n % this.size !== 0) throw new GradpathError(`tensor parallel: ${what} (${n}) is not divisible by --tp ${this.size}; choose a --tp that divides it`);
    const length = n / this.size;
    return { start: this.rank * length, length };
  }

  /**
   * This rank's part of a vocabulary of n rows, which need not divide evenly: rank r holds rows
   * floor(r n / tp) .. floor((r + 1) n / tp) (Megatron pads the vocabulary instead).
   */
  vocabPart(n: number): Part {
    const start = Math.floor((this.rank * n) / this.size);
    return { start, length: Math.floor(((this.rank + 1) * n) / this.size) - start };
  }

  /** In place: x becomes its sum over the group (blocking). */
  allReduce(x: Float32Array, label: string): void {
    if (!this.comm || this.size === 1) return;
    this.comm.allReduce(x);
    this.wait(label);
  }

  /** input (n) -> output (size n), rank r's input in block r (blocking). */
  allGather(input: Float32Array, output: Float32Array, label: string): void {
    if (!this.comm || this.size === 1) return output.set(input);
    this.comm.allGather(input, output);
    this.wait(label);
  }

  /** input (size n) -> output (n): the sum over the group of block `rank` (blocking). */
  reduceScatter(input: Float32Array, output: Float32Array, label: string): void {
    if (!this.comm || this.size === 1) return output.set(input);
    this.comm.reduceScatter(input, output);
    this.wait(label);
  }

  private wait(label: string): void {
    const comm = this.comm!;
    stepTimeline().waitSync('comm', label, () => comm.waitAll());
  }
}

/** A new contiguous tensor of x's values summed over the group. */
export function allReduced(x: Tensor, tp: TensorParallel, label: string): Tensor {
  const v = floatsUninit(x.numel());
  v.set(x.values());
  tp.allReduce(v, label);
  return new Tensor(v, [...x.shape]);
}

/** f: identity forward; backward, the gradient summed over the group (entry of a column-parallel layer). */
export function copyToTensorParallel(x: Tensor, tp: TensorParallel): Tensor {
  return applyFunction('CopyToTensorParallel', [x], x.detach(), (g) => [allReduced(g, tp, 'tp all-reduce (f backward)')]);
}

/** g: forward, the sum over the group (exit of a row-parallel layer); identity backward. */
export function reduceFromTensorParallel(x: Tensor, tp: TensorParallel): Tensor {
  return applyFunction('ReduceFromTensorParallel', [x], allReduced(x, tp, 'tp all-reduce (g forward)'), (g) => [g]);
}
