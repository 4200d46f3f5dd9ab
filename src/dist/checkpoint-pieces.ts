/**
 * Assembling global tensors from the pieces ranks saved, and cutting out the pieces another
 * layout asks for: what lets a checkpoint saved by dp2 x tp2 load on 1 rank, or 1 rank's on 2.
 * Pure: no MPI, no files beyond reading the shard files an index names.
 */
import { join } from 'node:path';
import { readShardFile, readShardMeta, type ShardIndex } from '../io/sharded.js';
import { GradpathError } from '../util/errors.js';
import { shardNumel, type ShardSpec } from './shard-spec.js';

/** A piece with its values: what a rank holds (live arrays when saving) or gets back (when loading). */
export interface ShardPiece {
  spec: ShardSpec;
  data: Float32Array;
}

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Checks a spec is well formed (inside its tensor); one line naming it otherwise. */
export function checkSpec(spec: ShardSpec): void {
  const bad = (why: string) => new GradpathError(`shard spec for '${spec.name}' [${spec.shape.join(', ')}]: ${why}`);
  if (!spec.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw bad('invalid shape');
  const { slice, flat } = spec;
  if (spec.view && numel(spec.view) !== numel(spec.shape)) throw bad(`view [${spec.view.join(', ')}] has another number of elements`);
  const sliced = spec.view ?? spec.shape;
  if (slice && !(slice.dim >= 0 && slice.dim < sliced.length && slice.start >= 0 && slice.length >= 0 && slice.start + slice.length <= sliced[slice.dim])) throw bad(`slice ${JSON.stringify(slice)} is outside the tensor`);
  if (flat && !(flat.start >= 0 && flat.length >= 0 && flat.start + flat.length <= shardNumel({ ...spec, flat: undefined }))) throw bad(`flat range ${JSON.stringify(flat)} is outside the ${slice ? 'slice' : 'tensor'}`);
}

/**
 * Visits the contiguous runs a piece covers in the flattened global tensor: fn(globalOffset,
 * pieceOffset, length). A slice along dim k (of the view, when the spec has one) is outer blocks
 * of `length * inner` elements; a flat range of a slice, the parts of those inside the range.
 */
function runs(spec: ShardSpec, fn: (globalAt: number, pieceAt: number, length: number) => void): void {
  if (spec.flat && spec.slice) {
    const lo = spec.flat.start, hi = lo + spec.flat.length;
    return runs({ ...spec, flat: undefined }, (g, p, n) => {
      const from = Math.max(p, lo), to = Math.min(p + n, hi);
      if (from < to) fn(g + from - p, from - lo, to - from);
    });
  }
  if (spec.flat) return fn(spec.flat.start, 0, spec.flat.length);
  if (!spec.slice) return fn(0, 0, numel(spec.shape));
  const { dim, start, length } = spec.slice;
  const shape = spec.view ?? spec.shape;
  const outer = numel(shape.slice(0, dim));
  const inner = numel(shape.slice(dim + 1));
  const rowLength = shape[dim] * inner;
  for (let o = 0; o < outer; o++) fn(o * rowLength + start * inner, o * length * inner, length * inner);
}

/** The piece `spec` cut out of the whole tensor `global` (row-major). */
export function cutPiece(global: Float32Array, spec: ShardSpec): Float32Array {
  checkSpec(spec);
  if (global.length !== numel(spec.shape)) throw new GradpathError(`'${spec.name}': the tensor has ${global.length} values, the spec's shape [${spec.shape.join(', ')}] needs ${numel(spec.shape)}`);
  const out = new Float32Array(shardNumel(spec));
  runs(spec, (g, p, n) => out.set(global.subarray(g, g + n), p));
  return out;
}

/** Writes a piece's values into the whole tensor, marking what it covered. */
export function placePiece(global: Float32Array, covered: Uint8Array, spec: ShardSpec, data: Float32Array): void {
  checkSpec(spec);
  if (data.length !== shardNumel(spec)) throw new GradpathError(`'${spec.name}': the piece has ${data.length} values but its spec describes ${shardNumel(spec)}`);
  runs(spec, (g, p, n) => {
    global.set(data.subarray(p, p + n), g);
    covered.fill(1, g, g + n);
  });
}

/** Every global tensor's shape in the index, checking that every piece of a name agrees on it. */
export function globalShapes(index: ShardIndex<ShardSpec>): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const f of index.files) {
    for (const p of f.pieces) {
      const known = shapes.get(p.name);
      if (known && known.join() !== p.shape.join()) throw new GradpathError(`sharded checkpoint: '${p.name}' is [${known.join(', ')}] in one shard and [${p.shape.join(', ')}] in ${f.file}`);
      shapes.set(p.name, p.shape);
    }
  }
  return shapes;
}

/**
 * A sharded checkpoint opened for reading: global tensors assembled on demand from the pieces the
 * index lists (files read once each), and pieces cut for whatever layout asks.
 */
export class ShardSet {
  readonly shapes: Map<string, number[]>;
  private files = new Map<string, Float32Array[]>();
  private cache = new Map<string, Float32Array>();

  constructor(
    readonly runDir: string,
    readonly index: ShardIndex<ShardSpec>,
  ) {
    this.shapes = globalShapes(index);
  }

  /** A set whose tensors are already whole in memory (a single-file checkpoint seen as one rank's shard). */
  static whole(runDir: string, index: ShardIndex<ShardSpec>, tensors: Map<string, { data: Float32Array }>, rng?: number[]): ShardSet {
    const set = new ShardSet(runDir, index);
    for (const [name, t] of tensors) set.cache.set(name, t.data);
    set.single = { rng };
    return set;
  }

  /** Set for a single-file checkpoint: its generator state (there are no shard files to read it from). */
  private single: { rng?: number[] } | undefined;

  has(name: string): boolean {
    return this.shapes.has(name);
  }

  /** The whole tensor `name`; an error naming it when no piece holds it or the pieces leave a gap. */
  global(name: string): Float32Array {
    const cached = this.cache.get(name);
    if (cached) return cached;
    const shape = this.shapes.get(name);
    if (!shape) throw new GradpathError(`sharded checkpoint in ${this.runDir} (step ${this.index.step}) has no tensor '${name}'`);
    const whole = new Float32Array(numel(shape));
    const covered = new Uint8Array(whole.length);
    for (const f of this.index.files) {
      f.pieces.forEach((spec, i) => {
        if (spec.name === name) placePiece(whole, covered, spec, this.fileData(f.file)[i]);
      });
    }
    const gap = covered.indexOf(0);
    if (gap >= 0) throw new GradpathError(`sharded checkpoint in ${this.runDir}: the pieces of '${name}' leave element ${gap} uncovered; the checkpoint is incomplete`);
    this.cache.set(name, whole);
    return whole;
  }

  /** The piece `spec` asks for (its global shape must match the checkpoint's). */
  read(spec: ShardSpec): Float32Array {
    const shape = this.shapes.get(spec.name);
    if (shape && shape.join() !== spec.shape.join()) throw new GradpathError(`sharded checkpoint: '${spec.name}' is [${shape.join(', ')}] in the checkpoint but [${spec.shape.join(', ')}] now; the model differs`);
    return cutPiece(this.global(spec.name), spec);
  }

  /** A rank's own random generator state, when that rank saved one. */
  rng(rank: number): number[] | undefined {
    if (this.single) return this.single.rng;
    const f = this.index.files.find((x) => x.rank === rank);
    return f ? readShardMeta(join(this.runDir, f.file)).rng : undefined;
  }

  /**
   * The state of the generator named `name` (ShardedState.generators) as the first rank that saved
   * one recorded it; undefined when none did (a single-file checkpoint, or a layout without it).
   */
  namedRng(name: string): number[] | undefined {
    if (this.single) return undefined;
    for (const f of this.index.files) {
      const state = readShardMeta(join(this.runDir, f.file)).rngs?.[name];
      if (state) return state;
    }
    return undefined;
  }

  private fileData(file: string): Float32Array[] {
    let data = this.files.get(file);
    if (!data) {
      data = readShardFile<ShardSpec>(join(this.runDir, file)).data;
      this.files.set(file, data);
    }
    return data;
  }
}
