/**
 * The process grid of one run, made once from --dp, --tp and --pp: MPI initialised, the world
 * split into this rank's dp, pp and tp communicators (grid.ts, MPI_Comm_split), and the layout
 * printed by rank 0. Every parallel mode then takes its own group from it instead of the world:
 *
 *   const grid = await runGrid({ dp: 2, tp: 2 }, log);          // 4 ranks: [0 1] [2 3] are tp groups
 *   const tp = await tensorParallelFromFlags(o, log, grid);     // grid.tp
 *   const dp = await dataParallel({ ..., comm: grid.dp }, f);    // grid.dp
 *   const pipe = await setupPipeline(flags, nLayer, B, grid);   // grid.pp
 *
 * A run with no parallel flag (or outside an MPI job, where each mode refuses with its own hint)
 * has no grid.
 */
import type { Tensor } from '../engine/tensor.js';
import { GradpathError } from '../util/errors.js';
import { describeGrid, processGrid, type GridShape, type ProcessGrid } from './grid.js';
import { initProcessGroup, inMpiJob } from './process-group.js';

export interface ParallelSizes {
  dp?: number;
  tp?: number;
  pp?: number;
}

/** The grid's shape from the flags: each size 1 unless given. */
export function gridShape(o: ParallelSizes): GridShape {
  return { dp: o.dp ?? 1, pp: o.pp ?? 1, tp: o.tp ?? 1 };
}

/** Whether the flags ask for any parallelism (then the run needs a grid). */
export function wantsGrid(o: ParallelSizes): boolean {
  return o.dp !== undefined || (o.tp ?? 1) > 1 || (o.pp ?? 1) > 1;
}

let made: ProcessGrid | null = null;

/**
 * The run's grid (collective: every rank calls it, once; a second call with the same shape returns
 * the same grid), or null without parallel flags or outside an MPI job.
 */
export async function runGrid(o: ParallelSizes, log: (m: string) => void = () => {}): Promise<ProcessGrid | null> {
  if (!wantsGrid(o) || !inMpiJob()) return null;
  const shape = gridShape(o);
  if (made) {
    if (made.shape.dp !== shape.dp || made.shape.pp !== shape.pp || made.shape.tp !== shape.tp) throw new Error(`runGrid: the run's grid is ${JSON.stringify(made.shape)}, asked for ${JSON.stringify(shape)}`);
    return made;
  }
  const { world } = initProcessGroup();
  made = await processGrid(world, shape);
  if (world.rank === 0) log(describeGrid(shape));
  return made;
}

/** "dp 2 x tp 2": the sizes above 1, for titles and messages. */
export function describeLayout(shape: GridShape): string {
  const parts = (['dp', 'pp', 'tp'] as const).filter((a) => shape[a] > 1).map((a) => `${a} ${shape[a]}`);
  return parts.length ? parts.join(' x ') : 'one rank';
}

/**
 * Rows [index * B/count, (index + 1) * B/count) of a global batch: what data-parallel replica
 * `index` of `count` computes (every rank of the replica, tp and pp alike, takes the same rows).
 */
export function batchRows<T extends { x: Tensor; y: Tensor }>(batch: T, index: number, count: number): { x: Tensor; y: Tensor } {
  const B = batch.x.shape[0];
  if (B % count !== 0) throw new GradpathError(`the batch size ${B} does not divide over --dp ${count} ranks; use a multiple of ${count}`);
  if (count === 1) return batch;
  const b = B / count;
  return { x: batch.x.narrow(0, index * b, b).contiguous(), y: batch.y.narrow(0, index * b, b).contiguous() };
}
