/**
 * Cross-entropy over logits split by vocabulary (Megatron's vocab_parallel_cross_entropy): each rank
 * holds the logits of its columns (B, T, V/tp) from the vocab-parallel head, and the full logits
 * (GPT-2: 50257 per token) are never gathered. Per row only three numbers cross ranks:
 *
 *   max over the row      all-gather of each rank's row maxima (MPI's sum cannot take a max)
 *   sum of exp(l - max)   all-reduce
 *   the target's logit    all-reduce (the rank owning the target column contributes it, others 0)
 *
 * loss_i = log(sum_i) - (l_target - max); the gradient of each rank's columns, softmax - onehot,
 * needs no communication. The loss is the same number on every rank.
 */
import { GradpathError } from '../util/errors.js';
import { Tensor } from '../engine/tensor.js';
import { applyFunction } from '../engine/function.js';
import { floatsUninit } from '../engine/pool.js';
import { shapeStr } from '../engine/shape.js';
import type { Part, TensorParallel } from './tensor-parallel.js';

export interface VocabParallelLossOptions {
  /** The global columns this rank's logits are. */
  columns: Part;
  /** Targets equal to this add nothing (default -1). */
  ignoreIndex?: number;
  /** The real vocabulary: columns at or past it are padding (GPT-2's 50257 of 50304), left out of the softmax. */
  vocabSize: number;
}

/** logits (B, T, V/tp), this rank's columns; targets (B, T) global ids -> the mean loss, a scalar. */
export function vocabParallelCrossEntropy(logits: Tensor, targets: Tensor, tp: TensorParallel, o: VocabParallelLossOptions): Tensor {
  const ignore = o.ignoreIndex ?? -1;
  const Vl = logits.shape[logits.ndim - 1];
  const N = logits.numel() / Vl;
  if (Vl !== o.columns.length) throw new Error(`vocab-parallel cross-entropy: logits have ${Vl} columns but this rank holds ${o.columns.length}`);
  if (targets.numel() !== N || logits.ndim !== targets.ndim + 1) {
    throw new GradpathError(`cross_entropy: logits ${shapeStr(logits.shape)} need targets of shape ${shapeStr(logits.shape.slice(0, -1))}; got ${shapeStr(targets.shape)}`);
  }
  const { start } = o.columns;
  const V = o.vocabSize;
  const cols = Math.max(0, Math.min(Vl, V - start)); // this rank's real (unpadded) columns
  const t = targets.intValues();
  for (let i = 0; i < N; i++) {
    if (t[i] !== ignore && (t[i] < 0 || t[i] >= V)) throw new GradpathError(`cross_entropy: target ${t[i]} is out of range for ${V} classes`);
  }
  const x = logits.floatValues();

  // the row maxima of every rank, then the global maximum of each row
  const maxima = floatsUninit(N * tp.size);
  const mine = new Float32Array(N).fill(-Infinity);
  for (let i = 0; i < N; i++) for (let j = 0; j < cols; j++) mine[i] = Math.max(mine[i], x[i * Vl + j]);
  tp.allGather(mine, maxima, 'tp all-gather (loss row maxima)');
  const max = new Float64Array(N).fill(-Infinity);
  for (let r = 0; r < tp.size; r++) for (let i = 0; i < N; i++) max[i] = Math.max(max[i], maxima[r * N + i]);

  // sum of exps (block 0) and the target's shifted logit (block 1), summed over the group
  const exps = floatsUninit(N * Vl);
  const sums = new Float32Array(2 * N);
  for (let i = 0; i < N; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += exps[i * Vl + j] = Math.exp(x[i * Vl + j] - max[i]);
    for (let j = cols; j < Vl; j++) exps[i * Vl + j] = 0;
    sums[i] = s;
    const c = t[i] - start;
    if (t[i] !== ignore && c >= 0 && c < cols) sums[N + i] = x[i * Vl + c] - max[i];
  }
  tp.allReduce(sums, 'tp all-reduce (loss sums)');

  let loss = 0, count = 0;
  for (let i = 0; i < N; i++) {
    if (t[i] === ignore) continue;
    loss += Math.log(sums[i]) - sums[N + i];
    count++;
  }
  const out = new Tensor(Float32Array.of(count ? loss / count : NaN), []);
  return applyFunction('VocabParallelCrossEntropy', [logits], out, (g) => {
    // (softmax - onehot) * g / count on this rank's columns; ignored rows get nothing
    const scale = g.item() / Math.max(count, 1);
    const d = floatsUninit(N * Vl);
    for (let i = 0; i < N; i++) {
      if (t[i] === ignore) {
        d.fill(0, i * Vl, (i + 1) * Vl);
        continue;
      }
      const inv = scale / sums[i];
      for (let j = 0; j < Vl; j++) d[i * Vl + j] = exps[i * Vl + j] * inv;
      const c = t[i] - start;
      if (c >= 0 && c < cols) d[i * Vl + c] -= scale;
    }
    return [new Tensor(d, [...logits.shape])];
  });
}
