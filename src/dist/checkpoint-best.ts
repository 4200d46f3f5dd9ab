/**
 * best.safetensors of a run whose ranks hold only pieces of the model (ZeRO-3's flat ranges,
 * tensor parallel's slices, pipeline stages' blocks): the same file a single process writes (the
 * whole model under its names, the configuration, the evaluation), gathered to rank 0 one tensor
 * at a time: rank 0 holds the model it writes and one piece in flight, the other ranks send their
 * pieces in place (no copies) and hold nothing more. Written atomically by rank 0.
 */
import { saveCheckpoint, type StateDict } from '../io/checkpoint.js';
import { placePiece, type ShardPiece } from './checkpoint-pieces.js';
import type { ShardedState } from './checkpoint.js';
import type { Communicator } from './communicator.js';
import { allGatherText } from './gather-text.js';
import { shardNumel, type ShardSpec } from './shard-spec.js';
import { GradpathError } from '../util/errors.js';

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The model's pieces of a state (its optimizer moments, `<buffer>.<param>`, left out). */
export function modelPieces(state: ShardedState): ShardPiece[] {
  const { buffers, params } = state.optimizerNames();
  const moments = new Set(buffers.flatMap((b) => params.map((p) => `${b}.${p}`)));
  return state.pieces().filter((p) => !moments.has(p.spec.name));
}

/**
 * The whole model on rank 0 (null elsewhere), assembled from every rank's pieces (collective:
 * every rank of `world` calls it). Tensors in the order the ranks list them, rank 0's first.
 */
export async function gatherModel(world: Communicator, state: ShardedState): Promise<StateDict | null> {
  const mine = modelPieces(state);
  const specs = (await allGatherText(world, JSON.stringify(mine.map((p) => p.spec)))).map((t) => JSON.parse(t) as ShardSpec[]);
  const order = new Map<string, { shape: number[]; at: number }>();
  for (const rankSpecs of specs) for (const s of rankSpecs) if (!order.has(s.name)) order.set(s.name, { shape: s.shape, at: order.size });
  const byName = (a: ShardSpec, b: ShardSpec) => order.get(a.name)!.at - order.get(b.name)!.at;
  if (world.rank !== 0) {
    // in the order rank 0 receives them: tensor by tensor, this rank's pieces of each in its own order
    const sends = mine.map((p, i) => ({ p, i })).sort((a, b) => byName(a.p.spec, b.p.spec) || a.i - b.i).map(({ p }) => world.send(p.data, 0, 1));
    await Promise.all(sends);
    return null;
  }
  const model: StateDict = {};
  for (const [name, { shape }] of order) {
    const whole = new Float32Array(numel(shape));
    const covered = new Uint8Array(whole.length);
    for (const p of mine) if (p.spec.name === name) placePiece(whole, covered, p.spec, p.data);
    for (let r = 1; r < world.size; r++) {
      for (const spec of specs[r]) {
        if (spec.name !== name) continue;
        const piece = new Float32Array(shardNumel(spec));
        await world.recv(piece, r, 1);
        placePiece(whole, covered, spec, piece);
      }
    }
    const gap = covered.indexOf(0);
    if (gap >= 0) throw new GradpathError(`best.safetensors: the ranks' pieces of '${name}' leave element ${gap} uncovered`);
    model[name] = { shape: [...shape], data: whole };
  }
  return model;
}

/** Gathers the model (collective) and has rank 0 write it to `path` as a single process's best.safetensors. */
export async function saveGatheredBest(world: Communicator, state: ShardedState, path: string | undefined, info: { step: number; kind: string; config: Record<string, unknown>; extra: Record<string, unknown> }): Promise<void> {
  const model = await gatherModel(world, state);
  if (model && path) saveCheckpoint(path, { model, ...info });
}
