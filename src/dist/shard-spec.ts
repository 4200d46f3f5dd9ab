/**
 * Which part of a global tensor a rank holds: the contract between the parallel wrappers (DDP,
 * ZeRO, tensor and pipeline parallel) and sharded checkpoints. Each wrapper describes every
 * tensor it keeps on this rank (parameters, and optimizer moments under `exp_avg.<name>` and
 * `exp_avg_sq.<name>`) by its global name and shape and one of:
 *
 * - nothing more: a whole replica (DDP, and every rank of a pipeline stage's own layers);
 * - `slice`: the elements [start, start + length) along dimension `dim` (tensor parallel:
 *   column-parallel weights split dim 0 of (out, in), row-parallel dim 1, vocab-parallel
 *   embeddings dim 0);
 * - `flat`: the elements [start, start + length) of the tensor flattened in row-major order
 *   (ZeRO's shards of one flat buffer; a shard may cover only part of a tensor);
 * - `slice` and `flat`: the elements [start, start + length) of the slice, flattened in the
 *   piece's row-major order (ZeRO over the dp group of a tensor-parallel rank: its shard of a
 *   local, already cut, parameter).
 *
 * A checkpoint saved in one layout loads in another by assembling each global tensor from the
 * pieces the index lists and cutting out what the new layout's specs ask for.
 */
export interface ShardSpec {
  /** Global name, e.g. 'h.0.attn.c_attn.weight' or 'exp_avg.h.0.attn.c_attn.weight'. */
  name: string;
  /** The global tensor's shape. */
  shape: number[];
  slice?: { dim: number; start: number; length: number };
  /**
   * With `slice`: the global tensor viewed (row-major) as this shape before slicing. Tensor
   * parallel's c_attn (3C, C) holds the q, k and v rows of its heads: a slice along dim 1 of
   * the view (3, C, C); the piece itself keeps the global tensor's layout (3C/tp, C).
   */
  view?: number[];
  flat?: { start: number; length: number };
}

/** How many elements the piece holds. */
export function shardNumel(spec: ShardSpec): number {
  if (spec.flat) return spec.flat.length;
  const whole = spec.shape.reduce((a, b) => a * b, 1);
  if (!spec.slice) return whole;
  return (whole / (spec.view ?? spec.shape)[spec.slice.dim]) * spec.slice.length;
}
