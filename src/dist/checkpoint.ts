/**
 * Sharded checkpoints of a distributed run: every rank saves the pieces it holds at once, rank 0
 * writes the index after a barrier (io/sharded.ts has the files), and a run resumes in any layout
 * by cutting the pieces it needs out of the global tensors the old pieces assemble into
 * (checkpoint-pieces.ts).
 *
 * What a rank holds is a ShardedState: the parallel wrappers (DDP, ZeRO, tensor and pipeline
 * parallel) each provide one from their ShardSpecs; replicaState() below is the one for a whole
 * model and optimizer on this process (one process, or DDP's identical replicas, of which only
 * one rank writes).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint } from '../io/checkpoint.js';
import { safetensorsMetadata } from '../io/safetensors.js';
import { hasShardIndex, readShardIndex, shardFileName, stepFolder, writeShardFile, writeShardIndex, type ShardIndex } from '../io/sharded.js';
import { GradpathError } from '../util/errors.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../engine/tensor.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Generator } from '../util/random.js';
import type { Communicator } from './communicator.js';
import { ShardSet, type ShardPiece } from './checkpoint-pieces.js';
import { saveGatheredBest } from './checkpoint-best.js';
import type { ShardSpec } from './shard-spec.js';

export interface ShardedState {
  /** The pieces this rank saves now (live arrays: written before anything changes them); [] saves nothing. */
  pieces(): ShardPiece[];
  /**
   * Fills this rank's tensors from a checkpoint: `read(spec)` gives the piece a spec asks for (in
   * any layout the checkpoint was saved in), or null when the checkpoint has no such tensor (an
   * optimizer that had not stepped yet).
   */
  load(read: (spec: ShardSpec) => Float32Array | null, saved: { optimizerStep: number; optimizerBuffers: string[] }): void;
  /** Optimizer steps taken (saved in the index). */
  optimizerStep(): number;
  /**
   * How optimizer state is named (see ShardIndex.optimizer): its buffers, and the global parameter
   * names in the order a single process's optimizer holds them (what merge, and loading a
   * single-process latest.safetensors, number them by).
   */
  optimizerNames(): { buffers: string[]; params: string[] };
  /**
   * Random generators of this rank besides the training loop's, by a name that says whose they
   * are (a pipeline stage's dropout masks: every rank of that stage, in any replica or tp rank,
   * holds the same stream). Saved in the rank's shard file; on loading, each takes the state the
   * first saved rank holding that name recorded, or stays as built when none did.
   */
  generators?(): Record<string, Generator>;
}

/** The names of the optimizer's parameters, in its groups' order (what `exp_avg.<i>` numbers). */
export function optimizerParamNames(model: Module, optimizer: Optimizer): string[] {
  const names = new Map(model.namedParameters().map(([n, t]) => [t, n]));
  return optimizer.groups.flatMap((g) => g.params).map((p) => {
    const n = names.get(p);
    if (n === undefined) throw new Error('optimizerParamNames: the optimizer holds a tensor that is not a parameter of the model');
    return n;
  });
}

/**
 * A whole model and optimizer on this process, as ShardSpecs without slices: parameters and float
 * buffers under their names, optimizer moments under `<buffer>.<param name>` (exp_avg.h.0.attn.c_attn.weight).
 * `writer` false: this rank saves nothing (a DDP replica other than rank 0 holds the same values).
 */
export function replicaState(model: Module, optimizer: Optimizer | undefined, writer = true): ShardedState {
  return localState(model, optimizer, { writes: () => writer });
}

/**
 * The state of a model whose parameters may be pieces of global tensors (tensor parallel), with
 * an optimizer over exactly those local parameters: `place(p)` says which piece a parameter is (as
 * a ShardSpec without its name; undefined: whole), and its moments are the same piece of
 * `<buffer>.<name>`. `writes(cut)` says whether this rank saves a tensor: a cut one, or a whole
 * one (which several ranks hold identically: only one of them should write it).
 *
 * A pipeline stage also gives `copies`: local tensors that are copies of a tensor another rank
 * saves (the last stage's head tied to the first stage's wte: 'lm_head.weight' -> 'wte.weight'),
 * never written, loaded (with their moments) from the global name; `paramOrder`: the global
 * parameter names in a single process's optimizer order, when this rank's optimizer holds only some;
 * and `generators`: its dropout mask generators (ShardedState.generators).
 */
export function localState(
  model: Module,
  optimizer: Optimizer | undefined,
  o: { place?: (p: Tensor) => Omit<ShardSpec, 'name'> | undefined; writes: (cut: boolean) => boolean; copies?: Record<string, string>; paramOrder?: string[]; generators?: () => Record<string, Generator> },
): ShardedState {
  const paramNames = () => (optimizer ? optimizerParamNames(model, optimizer) : []);
  const globalName = (local: string) => o.copies?.[local] ?? local;
  const copy = (local: string) => o.copies?.[local] !== undefined;
  const optimizerNames = () => {
    const sd = optimizer?.stateDict() ?? {};
    const buffers = [...new Set(Object.keys(sd).filter((k) => k !== 'step').map((k) => k.slice(0, k.lastIndexOf('.'))))];
    return { buffers, params: o.paramOrder ?? paramNames() };
  };
  const params = new Map(model.namedParameters());
  // what a tensor of the model's state dict is a piece of: parameters as placed, buffers whole
  const placeOf = (name: string, t: Tensor): Omit<ShardSpec, 'name'> => (params.has(name) && o.place?.(params.get(name)!)) || { shape: [...t.shape] };
  const cut = (place: Omit<ShardSpec, 'name'>) => Boolean(place.slice || place.flat);
  return {
    pieces() {
      const out: ShardPiece[] = [];
      for (const [name, t] of Object.entries(model.stateDict())) {
        const place = placeOf(name, t);
        if (t.data instanceof Float32Array && !copy(name) && o.writes(cut(place))) out.push({ spec: { name, ...place }, data: t.values() as Float32Array });
      }
      if (optimizer) {
        const names = paramNames();
        for (const [key, t] of Object.entries(optimizer.stateDict())) {
          if (key === 'step') continue;
          const dot = key.lastIndexOf('.');
          const name = names[Number(key.slice(dot + 1))];
          const place = placeOf(name, params.get(name)!);
          if (!copy(name) && o.writes(cut(place))) out.push({ spec: { name: `${key.slice(0, dot)}.${name}`, ...place }, data: t.data as Float32Array });
        }
      }
      return out;
    },
    load(read, saved) {
      const sd: Record<string, { shape: number[]; data: Float32Array }> = {};
      for (const [name, t] of Object.entries(model.stateDict())) {
        if (!(t.data instanceof Float32Array)) continue;
        const data = read({ name: globalName(name), ...placeOf(name, t) });
        if (!data) throw new GradpathError(`sharded checkpoint has no tensor '${globalName(name)}'; it holds another model`);
        sd[name] = { shape: [...t.shape], data };
      }
      model.loadStateDict(sd, false);
      if (!optimizer) return;
      const osd: Record<string, { shape: number[]; data: Float32Array }> = { step: { shape: [], data: Float32Array.of(saved.optimizerStep) } };
      paramNames().forEach((name, i) => {
        const p = params.get(name)!;
        for (const buffer of saved.optimizerBuffers) {
          const data = read({ name: `${buffer}.${globalName(name)}`, ...placeOf(name, p) });
          if (data) osd[`${buffer}.${i}`] = { shape: [...p.shape], data };
        }
      });
      optimizer.loadStateDict(osd);
    },
    optimizerStep: () => optimizer?.stepCount ?? 0,
    optimizerNames,
    generators: o.generators,
  };
}

/** What a sharded save records besides the tensors (the loop's run state). */
export interface ShardedSaveInfo {
  step: number;
  kind: string;
  config: Record<string, unknown>;
  extra: Record<string, unknown>;
  generator?: Generator;
}

/**
 * One rank's side of sharded checkpoints in a run directory. Every rank of the job calls save()
 * and load() together (they hold barriers); `world` null: a single process.
 */
export class ShardedCheckpoint {
  constructor(
    readonly dir: string,
    readonly state: ShardedState,
    readonly world: Communicator | null,
    /** The layout, recorded in the index (e.g. { dp: 2, tp: 1, pp: 1, zero: 0 }). */
    readonly layout: Record<string, number>,
  ) {}

  get rank(): number {
    return this.world?.rank ?? 0;
  }

  get size(): number {
    return this.world?.size ?? 1;
  }

  /** Whether there is anything to resume from: a sharded checkpoint, or a single process's latest.safetensors. */
  exists(): boolean {
    return newestCheckpoint(this.dir) !== null;
  }

  /** Whether `flag` holds on any rank (one all-reduce of one float): ranks stop after the same step. */
  async anyRank(flag: boolean): Promise<boolean> {
    if (!this.world) return flag;
    const x = Float32Array.of(flag ? 1 : 0);
    await this.world.allReduce(x);
    return x[0] > 0;
  }

  /** Rank 0's `flag` on every rank (one broadcast of one float): whether validation improved, decided once. */
  async rootSays(flag: boolean): Promise<boolean> {
    if (!this.world) return flag;
    const x = Float32Array.of(flag ? 1 : 0);
    await this.world.broadcast(x, 0);
    return x[0] > 0;
  }

  /**
   * best.safetensors when ranks hold pieces of the model: gathered to rank 0, which writes it to
   * `path` (its run directory's) as a single process would (checkpoint-best.ts); every rank calls it.
   */
  async saveBest(path: string | undefined, info: { step: number; kind: string; config: Record<string, unknown>; extra: Record<string, unknown> }): Promise<void> {
    if (!this.world) throw new Error('saveBest: a single process writes best.safetensors itself');
    await saveGatheredBest(this.world, this.state, path, info);
  }

  /**
   * Every rank writes its shard of step `info.step`; after a barrier rank 0 writes the index (only
   * then does it name the new step) and removes older steps; a second barrier returns on every
   * rank with the checkpoint complete.
   */
  async save(info: ShardedSaveInfo): Promise<void> {
    const folder = join(this.dir, stepFolder(info.step));
    mkdirSync(folder, { recursive: true });
    const pieces = this.state.pieces();
    const rngs = Object.fromEntries(Object.entries(this.state.generators?.() ?? {}).map(([name, g]) => [name, g.getState()]));
    writeShardFile(join(folder, shardFileName(this.rank, this.size)), { rank: this.rank, world: this.size, step: info.step, rng: info.generator?.getState(), rngs, pieces: pieces.map((p) => p.spec) }, pieces.map((p) => p.data));
    await this.world?.barrier();
    if (this.rank === 0) {
      writeShardIndex(this.dir, { layout: this.layout, kind: info.kind, config: info.config, extra: info.extra, optimizerStep: this.state.optimizerStep(), optimizer: this.state.optimizerNames() }, info.step, this.size);
    }
    await this.world?.barrier();
  }

  /**
   * Loads the run directory's last complete checkpoint into this rank's state, whatever layout
   * saved it; the generator gets this rank's saved state (rank 0's when the old job had fewer ranks),
   * the state's named generators theirs (ShardedState.generators).
   */
  load(expect: { kind: string; generator?: Generator }): { step: number; index: ShardIndex; extra: Record<string, unknown>; config: Record<string, unknown>; from: string } {
    const newest = newestCheckpoint(this.dir);
    if (newest === null) throw new GradpathError(`--resume: no checkpoint in ${this.dir} (latest.index.json or latest.safetensors); train without --resume first`);
    const index = newest === 'sharded' ? readShardIndex(this.dir) : this.singleFileIndex(expect.kind);
    if (index.kind !== expect.kind) throw new GradpathError(`sharded checkpoint in ${this.dir} holds a ${index.kind} model, not ${expect.kind}`);
    const set = newest === 'sharded' ? new ShardSet(this.dir, index as ShardIndex<ShardSpec>) : this.singleFileSet!;
    this.state.load((spec) => (set.has(spec.name) ? set.read(spec) : null), { optimizerStep: index.optimizerStep ?? 0, optimizerBuffers: index.optimizer?.buffers ?? [] });
    const rng = set.rng(this.rank < index.world ? this.rank : 0);
    if (expect.generator && rng) expect.generator.setState(rng);
    for (const [name, g] of Object.entries(this.state.generators?.() ?? {})) {
      const saved = set.namedRng(name);
      if (saved) g.setState(saved);
    }
    const from = newest === 'sharded' ? `the sharded checkpoint in ${this.dir} (saved by ${index.world} rank${index.world > 1 ? 's' : ''})` : join(this.dir, LATEST);
    return { step: index.step, index, extra: index.extra ?? {}, config: index.config ?? {}, from };
  }

  private singleFileSet: ShardSet | undefined;

  /**
   * A single process's latest.safetensors seen as a sharded checkpoint of one rank holding every
   * tensor whole (its optimizer state renamed from `<buffer>.<i>` to `<buffer>.<param name>`), so
   * a run started on one process continues in any layout.
   */
  private singleFileIndex(kind: string): ShardIndex {
    const ck = loadCheckpoint(join(this.dir, LATEST), { kind });
    const params = this.state.optimizerNames().params;
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, t] of Object.entries(ck.model)) if (t.data instanceof Float32Array) tensors.set(name, { shape: t.shape, data: t.data });
    const buffers = new Set<string>();
    for (const [key, t] of Object.entries(ck.optimizer ?? {})) {
      const dot = key.lastIndexOf('.');
      const param = params[Number(key.slice(dot + 1))];
      if (key === 'step' || param === undefined || !(t.data instanceof Float32Array)) continue;
      buffers.add(key.slice(0, dot));
      tensors.set(`${key.slice(0, dot)}.${param}`, { shape: t.shape, data: t.data });
    }
    const index: ShardIndex = {
      format: 'gradpath-sharded-checkpoint', version: 1, step: ck.step, world: 1, layout: {}, kind: ck.kind, config: ck.config, extra: ck.extra ?? {},
      optimizerStep: ck.optimizer?.step?.data[0] ?? 0, optimizer: { buffers: [...buffers], params }, folder: '',
      files: [{ file: LATEST, rank: 0, pieces: [...tensors].map(([name, t]) => ({ name, shape: t.shape })) }],
    };
    this.singleFileSet = ShardSet.whole(this.dir, index as ShardIndex<ShardSpec>, tensors, ck.rng);
    return index;
  }
}

const LATEST = 'latest.safetensors';

/**
 * Which checkpoint of a run directory a resume continues from: the sharded one (latest.index.json)
 * or a single process's latest.safetensors, whichever holds the later step (the single file on a
 * tie); null when there is neither.
 */
export function newestCheckpoint(dir: string): 'sharded' | 'single' | null {
  const single = join(dir, LATEST);
  const hasSingle = existsSync(single);
  if (!hasShardIndex(dir)) return hasSingle ? 'single' : null;
  if (!hasSingle) return 'sharded';
  const singleStep = Number(JSON.parse(safetensorsMetadata(single).gradpath ?? '{}').step ?? 0);
  return readShardIndex(dir).step > singleStep ? 'sharded' : 'single';
}
