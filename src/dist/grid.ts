/**
 * The process grid of 3D parallelism: the world's ranks laid out as picotron's
 * `arange(world).view(dp, pp, tp)`, so tensor-parallel ranks (the chattiest group) are
 * neighbours, then pipeline stages, then data-parallel replicas. Each rank belongs to one
 * dp group, one pp group and one tp group: the ranks that differ from it only along that axis.
 */
import { GradpathError } from '../util/errors.js';
import type { Communicator } from './communicator.js';

export interface GridShape {
  dp: number;
  pp: number;
  tp: number;
}

export type Axis = keyof GridShape;
export const AXES: readonly Axis[] = ['dp', 'pp', 'tp'];

/** A rank's coordinates: rank = (dp * pp_size + pp) * tp_size + tp. */
export function gridCoords(rank: number, shape: GridShape): GridShape {
  return { dp: Math.floor(rank / (shape.pp * shape.tp)), pp: Math.floor(rank / shape.tp) % shape.pp, tp: rank % shape.tp };
}

export function gridRank(c: GridShape, shape: GridShape): number {
  return (c.dp * shape.pp + c.pp) * shape.tp + c.tp;
}

export function checkGrid(shape: GridShape, world: number): void {
  for (const a of AXES) {
    if (!Number.isInteger(shape[a]) || shape[a] < 1) throw new GradpathError(`--${a} must be a positive integer; got ${shape[a]}`);
  }
  const n = shape.dp * shape.pp * shape.tp;
  if (n !== world) throw new GradpathError(`dp x pp x tp = ${shape.dp} x ${shape.pp} x ${shape.tp} = ${n}, but the job has ${world} ranks; launch ${n} ranks or change the sizes`);
}

/** The ranks of every group along `axis`, in group order; each group in rank order along the axis. */
export function gridGroups(shape: GridShape, axis: Axis): number[][] {
  const groups = new Map<number, number[]>();
  const world = shape.dp * shape.pp * shape.tp;
  for (let r = 0; r < world; r++) {
    const color = groupColor(gridCoords(r, shape), shape, axis);
    if (!groups.has(color)) groups.set(color, []);
    groups.get(color)!.push(r);
  }
  return [...groups.keys()].sort((a, b) => a - b).map((c) => groups.get(c)!);
}

/** Ranks sharing the other two coordinates share a color (the index of their group). */
function groupColor(c: GridShape, shape: GridShape, axis: Axis): number {
  if (axis === 'dp') return c.pp * shape.tp + c.tp;
  if (axis === 'pp') return c.dp * shape.tp + c.tp;
  return c.dp * shape.pp + c.pp;
}

/** A few lines describing the layout, printed at start. */
export function describeGrid(shape: GridShape): string {
  const lines = [`process grid dp ${shape.dp} x pp ${shape.pp} x tp ${shape.tp} (ranks = arange(${shape.dp * shape.pp * shape.tp}).view(dp, pp, tp))`];
  for (const a of AXES) {
    if (shape[a] > 1) lines.push(`  ${a} groups: ${gridGroups(shape, a).map((g) => `[${g.join(' ')}]`).join(' ')}`);
  }
  return lines.join('\n');
}

export interface ProcessGrid {
  shape: GridShape;
  coords: GridShape;
  world: Communicator;
  dp: Communicator;
  pp: Communicator;
  tp: Communicator;
}

/** Splits the world into this rank's dp, pp and tp communicators (collective: every rank calls it). */
export async function processGrid(world: Communicator, shape: GridShape): Promise<ProcessGrid> {
  checkGrid(shape, world.size);
  const coords = gridCoords(world.rank, shape);
  const comms = {} as Record<Axis, Communicator>;
  for (const a of AXES) {
    const made = await world.split(groupColor(coords, shape, a), coords[a], a);
    if (!made) throw new Error(`split for ${a} gave no communicator`);
    comms[a] = made;
  }
  return { shape, coords, world, ...comms };
}
