/**
 * The files of a sharded checkpoint: every rank writes its own pieces of the global tensors into
 * one safetensors file, and rank 0 then writes a small JSON index naming the complete set.
 *
 *   RUN_DIR/latest.index.json                          the index: step, layout, which file holds which piece
 *   RUN_DIR/shards/step-000120/rank0-of-4.safetensors  rank 0's pieces (tensor `<i>:<name>` is piece i)
 *   RUN_DIR/shards/step-000120/rank1-of-4.safetensors  ...
 *
 * Each step's shards go to a folder of their own, and the index is replaced (atomically) only once
 * every rank's file of that step is complete, so whatever happens during a save (a rank killed,
 * the machine gone) the index still names a complete set: the last complete checkpoint stays
 * loadable. Older steps' folders are removed after the new index is in place.
 *
 * This file knows the format only; what a piece is (a ShardSpec: a whole tensor, a slice along a
 * dimension, a flat range) and how pieces assemble into global tensors is src/dist/checkpoint*.ts's.
 * The run directory must be one every rank sees (a shared filesystem across machines).
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { loadSafetensors, safetensorsMetadata, saveSafetensors, type TensorData } from './safetensors.js';
import { GradpathError } from '../util/errors.js';

export const INDEX_FILE = 'latest.index.json';
export const SHARDS_DIR = 'shards';
const INDEX_FORMAT = 'gradpath-sharded-checkpoint';
const SHARD_FORMAT = 'gradpath-shard';
const VERSION = 1;

/** A piece as stored: a global name, the global shape, and where the piece sits (the dist layer's ShardSpec). */
export interface StoredPiece {
  name: string;
  shape: number[];
}

export interface ShardFileMeta<P extends StoredPiece = StoredPiece> {
  format: typeof SHARD_FORMAT;
  version: number;
  rank: number;
  world: number;
  step: number;
  /** This rank's random generator, for an exact resume in the same layout. */
  rng?: number[];
  /** Other generators of this rank by name (a pipeline stage's dropout masks), for the same. */
  rngs?: Record<string, number[]>;
  pieces: P[];
}

export interface ShardIndex<P extends StoredPiece = StoredPiece> {
  format: typeof INDEX_FORMAT;
  version: number;
  step: number;
  world: number;
  /** The parallel layout that wrote it, e.g. { dp: 2, tp: 2, pp: 1, zero: 0 }. */
  layout: Record<string, number>;
  kind: string;
  config: Record<string, unknown>;
  /** Chapter state, the best value so far, elapsed time (rank 0's). */
  extra: Record<string, unknown>;
  /** Optimizer steps taken (Adam's bias correction). */
  optimizerStep?: number;
  /**
   * How optimizer state is named: tensor `<buffer>.<param name>` for each buffer (e.g. exp_avg),
   * and the parameters in the optimizer's order (what a single-file checkpoint numbers them by).
   */
  optimizer?: { buffers: string[]; params: string[] };
  /** The folder of this step's shards, relative to the run directory. */
  folder: string;
  files: { file: string; rank: number; pieces: P[] }[];
}

export function stepFolder(step: number): string {
  return join(SHARDS_DIR, `step-${String(step).padStart(6, '0')}`);
}

export function shardFileName(rank: number, world: number): string {
  return `rank${rank}-of-${world}.safetensors`;
}

/** Writes one rank's pieces (atomically); `data[i]` is piece i's values, row-major. */
export function writeShardFile<P extends StoredPiece>(path: string, meta: Omit<ShardFileMeta<P>, 'format' | 'version'>, data: Float32Array[]): void {
  if (data.length !== meta.pieces.length) throw new Error(`writeShardFile: ${meta.pieces.length} pieces but ${data.length} arrays`);
  const tensors: Record<string, TensorData> = {};
  meta.pieces.forEach((p, i) => (tensors[pieceKey(i, p.name)] = { shape: [data[i].length], data: data[i] }));
  saveSafetensors(path, tensors, { gradpath: JSON.stringify({ format: SHARD_FORMAT, version: VERSION, ...meta }) });
}

function pieceKey(i: number, name: string): string {
  return `${String(i).padStart(5, '0')}:${name}`;
}

/** The header of a shard file only (which pieces, which rank), without reading its data. */
export function readShardMeta<P extends StoredPiece>(path: string): ShardFileMeta<P> {
  if (!existsSync(path)) throw new GradpathError(`sharded checkpoint: ${path} is missing; the checkpoint is incomplete`);
  const raw = safetensorsMetadata(path).gradpath;
  let meta: ShardFileMeta<P>;
  try {
    meta = JSON.parse(raw ?? '');
  } catch {
    throw new GradpathError(`${path} is not a gradpath checkpoint shard (no valid metadata)`);
  }
  if (meta?.format !== SHARD_FORMAT || !Array.isArray(meta.pieces)) throw new GradpathError(`${path} is not a gradpath checkpoint shard`);
  if (meta.version !== VERSION) throw new GradpathError(`${path} has shard format version ${meta.version}; this gradpath reads version ${VERSION}`);
  return meta;
}

/** A shard file's pieces and their values. */
export function readShardFile<P extends StoredPiece>(path: string): { meta: ShardFileMeta<P>; data: Float32Array[] } {
  const meta = readShardMeta<P>(path);
  const { tensors } = loadSafetensors(path);
  const data = meta.pieces.map((p, i) => {
    const t = tensors.get(pieceKey(i, p.name));
    if (!t || !(t.data instanceof Float32Array)) throw new GradpathError(`${path}: piece ${i} (${p.name}) is missing; the shard is damaged`);
    return t.data;
  });
  return { meta, data };
}

/**
 * Writes the index of step `step`'s shards once every one of `world` ranks' files is there,
 * reading the pieces from their headers; then removes older steps' folders. Rank 0 calls this
 * after a barrier.
 */
export function writeShardIndex(runDir: string, info: Omit<ShardIndex, 'format' | 'version' | 'folder' | 'files' | 'world' | 'step'>, step: number, world: number): ShardIndex {
  const folder = stepFolder(step);
  const files = [];
  for (let r = 0; r < world; r++) {
    const file = join(folder, shardFileName(r, world));
    const meta = readShardMeta(join(runDir, file));
    if (meta.step !== step || meta.rank !== r || meta.world !== world) throw new GradpathError(`sharded checkpoint: ${file} holds rank ${meta.rank} of ${meta.world} at step ${meta.step}, not rank ${r} of ${world} at step ${step}`);
    files.push({ file, rank: r, pieces: meta.pieces });
  }
  const index: ShardIndex = { format: INDEX_FORMAT, version: VERSION, step, world, folder, files, ...info };
  writeFileAtomic(join(runDir, INDEX_FILE), JSON.stringify(index));
  const shards = join(runDir, SHARDS_DIR);
  for (const entry of readdirSync(shards)) {
    if (join(SHARDS_DIR, entry) !== folder && Number(/^step-(\d+)$/.exec(entry)?.[1] ?? Infinity) < step) rmSync(join(shards, entry), { recursive: true, force: true });
  }
  return index;
}

export function hasShardIndex(runDir: string): boolean {
  return existsSync(join(runDir, INDEX_FILE));
}

/** The run directory's index, checked; one clear line when it is missing or not ours. */
export function readShardIndex(runDir: string): ShardIndex {
  const path = join(runDir, INDEX_FILE);
  if (!existsSync(path)) throw new GradpathError(`no sharded checkpoint in ${runDir} (${INDEX_FILE} is missing); train with checkpoints first`);
  let index: ShardIndex;
  try {
    index = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new GradpathError(`${path} is not valid JSON; the sharded checkpoint index is damaged`);
  }
  if (index?.format !== INDEX_FORMAT || !Array.isArray(index.files)) throw new GradpathError(`${path} is not a gradpath sharded checkpoint index`);
  if (index.version !== VERSION) throw new GradpathError(`${path} has format version ${index.version}; this gradpath reads version ${VERSION}`);
  if (!Number.isSafeInteger(index.step) || index.step < 0 || index.files.length !== index.world) throw new GradpathError(`${path}: invalid step or file list`);
  return index;
}
