/**
 * Parameters laid end to end in flat buckets: the unit of communication of data parallelism
 * (one all-reduce or reduce-scatter per bucket) and, with ZeRO, the unit that is sharded: each
 * bucket is padded to a multiple of the ranks and rank r owns the r-th equal piece of every
 * bucket (its optimizer state, its reduced gradients and, with ZeRO-3, its parameters).
 *
 * Buckets are filled in reverse parameter order, as PyTorch DDP does: backward finishes the last
 * layers' gradients first, so the first bucket is ready early and its communication overlaps the
 * rest of backward.
 */
import type { Tensor } from '../engine/tensor.js';
import { GradpathError } from '../util/errors.js';
import type { ShardSpec } from './shard-spec.js';

export interface FlatEntry {
  name: string;
  param: Tensor;
  /** Where the parameter starts in its bucket's flat buffer. */
  start: number;
  numel: number;
}

export interface FlatBucket {
  index: number;
  entries: FlatEntry[];
  /** Floats used by parameters. */
  numel: number;
  /** numel rounded up to a multiple of the ranks. */
  padded: number;
  /** padded / ranks: the floats each rank owns. */
  piece: number;
}

/** The part of one parameter inside a rank's piece: bucket floats [from, to) = param floats [from - start, to - start). */
export interface PieceSegment {
  entry: FlatEntry;
  from: number;
  to: number;
}

/** 25 MB, PyTorch DDP's default bucket_cap_mb. */
export const DEFAULT_BUCKET_MB = 25;

export function checkBucketMb(mb: number): number {
  if (!(Number.isFinite(mb) && mb > 0)) throw new GradpathError(`--bucket-mb must be a positive number of megabytes; got ${mb}`);
  return mb;
}

/**
 * Buckets of at most `capBytes` (a parameter larger than that gets a bucket of its own), filled
 * in reverse parameter order. Each set of `apart` gets buckets of its own (after the others), so
 * that its reduced pieces can be summed with another rank's laid out alike: a pipeline's tied
 * embedding copy (with the other end stage's), tensor parallel's whole parameters under sequence
 * parallel (with the other tp ranks').
 */
export function bucketsBySize(named: [string, Tensor][], capBytes: number, ranks: number, apart: ReadonlySet<Tensor>[] = []): FlatBucket[] {
  const rest = named.filter(([, p]) => !apart.some((s) => s.has(p)));
  const groups = [rest, ...apart.map((s) => named.filter(([, p]) => s.has(p)))].flatMap((g) => bySize(g, capBytes));
  return groups.map((g, i) => makeBucket(g, i, ranks));
}

/** Consecutive groups of at most `capBytes`, in reverse order. */
function bySize(named: [string, Tensor][], capBytes: number): [string, Tensor][][] {
  const groups: [string, Tensor][][] = [];
  let current: [string, Tensor][] = [];
  let bytes = 0;
  for (let i = named.length - 1; i >= 0; i--) {
    const b = named[i][1].numel() * 4;
    if (current.length && bytes + b > capBytes) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(named[i]);
    bytes += b;
  }
  if (current.length) groups.push(current);
  return groups;
}

/** One bucket holding these parameters, in this order. */
export function makeBucket(named: [string, Tensor][], index: number, ranks: number): FlatBucket {
  let numel = 0;
  const entries = named.map(([name, param]) => {
    const e = { name, param, start: numel, numel: param.numel() };
    numel += e.numel;
    return e;
  });
  const padded = Math.ceil(numel / ranks) * ranks;
  return { index, entries, numel, padded, piece: padded / ranks };
}

/** The parameter segments inside rank's piece of the bucket (padding excluded). */
export function pieceSegments(bucket: FlatBucket, rank: number): PieceSegment[] {
  const lo = rank * bucket.piece, hi = lo + bucket.piece;
  const out: PieceSegment[] = [];
  for (const entry of bucket.entries) {
    const from = Math.max(lo, entry.start), to = Math.min(hi, entry.start + entry.numel);
    if (from < to) out.push({ entry, from, to });
  }
  return out;
}

/** Copies each parameter's values (or gradients) into the flat buffer. */
export function flatten(bucket: FlatBucket, flat: Float32Array, pick: (p: Tensor) => Float32Array | null): void {
  for (const e of bucket.entries) {
    const v = pick(e.param);
    if (v) flat.set(v, e.start);
    else flat.fill(0, e.start, e.start + e.numel);
  }
}

/**
 * What rank holds of `prefix + name` for each parameter its pieces touch: `flat` ranges of the
 * global tensors (ZeRO's optimizer moments, and ZeRO-3's parameters).
 */
export function pieceShardSpecs(buckets: FlatBucket[], rank: number, prefix = ''): ShardSpec[] {
  return buckets.flatMap((b) =>
    pieceSegments(b, rank).map(({ entry, from, to }) => ({
      name: prefix + entry.name,
      shape: [...entry.param.shape],
      flat: { start: from - entry.start, length: to - from },
    })),
  );
}
