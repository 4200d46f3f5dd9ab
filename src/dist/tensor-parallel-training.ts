/**
 * What a training loop needs from a tensor-parallel model, and what checkpoints need to know:
 *
 * - ShardSpecs of every local tensor: cut parameters as slices of their global tensors (c_attn's as
 *   a slice of its (3, C, C) view), the rest whole; Adam's moments the same, as exp_avg.<name> and
 *   exp_avg_sq.<name>.
 * - afterBackward: under sequence parallelism the replicated parameters (LayerNorms, the position
 *   table, row-parallel biases) got gradients from this rank's positions only: sum them over the
 *   group (one all-reduce of all of them). Under plain TP they are already equal on every rank.
 * - gradNorm: the global norm of the gradients: the sum of squares of the cut parameters summed
 *   over the group, plus the replicated ones counted once.
 * - setup from the command line: --tp N and --sequence-parallel under `gradpath launch -n N`.
 */
import { GradpathError } from '../util/errors.js';
import { Tensor } from '../engine/tensor.js';
import { copyInto } from '../engine/ops/view.js';
import type { Module } from '../nn/module.js';
import type { ShardSpec } from './shard-spec.js';
import type { Optimizer } from '../optim/optimizer.js';
import { localState, type ShardedState } from './checkpoint.js';
import { distributedRun, type DistributedRunHooks } from './run-hooks.js';
import { TensorParallel } from './tensor-parallel.js';
import { shardPlace } from './tensor-parallel-layers.js';
import { initProcessGroup, inMpiJob } from './process-group.js';
import { describeGrid, processGrid, type ProcessGrid } from './grid.js';
import { describeLayout } from './parallel-context.js';
import { stepTimeline } from './timeline.js';
import { localGradSquares, type GradSquares } from './grad-squares.js';

/** The ShardSpecs of a tensor-parallel model's parameters and, with `moments`, of Adam's state. */
export function tensorParallelShardSpecs(model: Module, opts: { moments?: boolean } = {}): ShardSpec[] {
  const specs: ShardSpec[] = [];
  for (const [name, p] of model.namedParameters()) {
    const place = shardPlace(p) ?? { shape: [...p.shape] };
    specs.push({ name, ...place });
    if (opts.moments ?? true) for (const m of ['exp_avg', 'exp_avg_sq']) specs.push({ ...place, name: `${m}.${name}` });
  }
  return specs;
}

/**
 * The whole model's parameters by global name, assembled on every rank from the group's pieces
 * (each rank writes its piece into a zeroed global tensor; one sum over the group joins them).
 * For tests, for sampling from a model trained split, and for merging.
 */
export function assembleTensorParallel(model: Module, tp: TensorParallel): Record<string, { shape: number[]; data: Float32Array }> {
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, p] of model.namedParameters()) {
    const place = shardPlace(p);
    if (!place?.slice) {
      out[name] = { shape: [...p.shape], data: p.floatValues().slice() };
      continue;
    }
    const { dim, start, length } = place.slice;
    const data = new Float32Array(place.shape.reduce((a, b) => a * b, 1));
    const region = new Tensor(data, place.view ?? place.shape).narrow(dim, start, length);
    copyInto(region, p.detach().reshape(region.shape));
    tp.allReduce(data, `tp all-reduce (assemble ${name})`);
    out[name] = { shape: [...place.shape], data };
  }
  return out;
}

/**
 * Loads whole tensors (a single-process checkpoint, Hugging Face weights) into a split model:
 * each parameter takes its piece, cut as its ShardSpec says. Buffers are not split and load whole.
 */
export function loadWholeIntoTensorParallel(model: Module, state: Record<string, { shape: number[]; data: Float32Array | Int32Array }>): void {
  for (const [name, p] of model.namedParameters()) {
    const src = state[name];
    if (!src) throw new GradpathError(`tensor parallel: the weights have no tensor '${name}'`);
    const place = shardPlace(p) ?? { shape: [...p.shape] };
    if (src.shape.join() !== place.shape.join()) throw new GradpathError(`tensor parallel: '${name}' has shape [${src.shape}] in the weights but [${place.shape}] in the model`);
    const whole = new Tensor(Float32Array.from(src.data), place.view ?? place.shape);
    const piece = place.slice ? whole.narrow(place.slice.dim, place.slice.start, place.slice.length) : whole;
    (p.data as Float32Array).set(piece.floatValues());
  }
  for (const [name, b] of model.namedBuffers()) if (state[name]) (b.data as Float32Array | Int32Array).set(state[name].data as never);
}

/** Parameters of the model that every rank holds whole (not cut by tensor parallelism). */
function replicated(params: Tensor[]): Tensor[] {
  return params.filter((p) => !shardPlace(p));
}

/**
 * Under SP: sums the replicated parameters' gradients over the group (each saw its own positions).
 * reduced: where their gradients are when not in .grad (ZeRO over dp: its pieces of the buckets
 * that hold them, laid out alike on every tp rank), summed in place.
 */
export async function reduceSequenceParallelGrads(params: Tensor[], tp: TensorParallel, reduced?: (params: Tensor[]) => Float32Array[]): Promise<void> {
  if (!tp.sequenceParallel || tp.size === 1 || !tp.comm) return;
  const whole = replicated(params);
  if (reduced) {
    const parts = reduced(whole);
    const buf = new Float32Array(parts.reduce((n, x) => n + x.length, 0));
    let at = 0;
    for (const x of parts) {
      buf.set(x, at);
      at += x.length;
    }
    await stepTimeline().wait('comm', 'sp all-reduce (replicated grads)', tp.comm.allReduce(buf));
    at = 0;
    for (const x of parts) {
      x.set(buf.subarray(at, at + x.length));
      at += x.length;
    }
    return;
  }
  const n = whole.reduce((a, p) => a + p.numel(), 0);
  const buf = new Float32Array(n);
  let at = 0;
  for (const p of whole) {
    if (p.grad) buf.set(p.grad.floatValues(), at);
    at += p.numel();
  }
  await stepTimeline().wait('comm', 'sp all-reduce (replicated grads)', tp.comm.allReduce(buf));
  at = 0;
  for (const p of whole) {
    if (p.grad) (p.grad.data as Float32Array).set(buf.subarray(at, at + p.numel()));
    else if (buf.subarray(at, at + p.numel()).some((v) => v !== 0)) p.accumulateGrad(new Tensor(buf.slice(at, at + p.numel()), [...p.shape]));
    at += p.numel();
  }
}

/**
 * The global L2 norm of the gradients of a tensor-parallel model (what a single process would
 * measure): the cut parameters' squares summed over the group, the whole ones counted once.
 * `squares`: where the gradients are (grad-squares.ts; ZeRO: pieces over the dp group).
 */
export function tensorParallelGradNorm(params: Tensor[], tp: TensorParallel, squares: GradSquares = localGradSquares): number {
  const [cut, whole] = squares([params.filter((p) => shardPlace(p)), replicated(params)]);
  const sum = Float32Array.of(cut);
  tp.allReduce(sum, 'tp all-reduce (grad norm)');
  return Math.sqrt(sum[0] + whole);
}

/**
 * The training loop's hooks for a tensor-parallel model (train/options.ts: afterBackward,
 * gradNorm; gradNormOf: the norm of gradients that live elsewhere, for dist/compose.ts).
 */
export function tensorParallelHooks(tp: TensorParallel, model: Module): { afterBackward: (at?: unknown, reduced?: (params: Tensor[]) => Float32Array[]) => Promise<void>; gradNorm: (params: Tensor[]) => number; gradNormOf: (params: Tensor[], squares: GradSquares) => number } {
  return {
    afterBackward: (_at, reduced) => reduceSequenceParallelGrads(model.parameters(), tp, reduced),
    gradNorm: (params) => tensorParallelGradNorm(params, tp),
    gradNormOf: (params, squares) => tensorParallelGradNorm(params, tp, squares),
  };
}

/**
 * What this rank saves and loads of a tensor-parallel run (sharded checkpoints): its slices of the
 * cut parameters and of their Adam moments; the whole ones, equal on every rank, from tp rank 0.
 * replicaWrites false: another data-parallel replica (dp rank 0's) writes the same pieces.
 */
export function tensorParallelState(model: Module, optimizer: Optimizer, tp: TensorParallel, replicaWrites = true): ShardedState {
  return localState(model, optimizer, tensorParallelPlacement(tp, replicaWrites));
}

/**
 * Which piece of its global tensor each local parameter is, and whether this rank writes it: its
 * slices always, the whole tensors (equal on every tp rank) on tp rank 0 only; nothing when
 * another replica writes (replicaWrites false). What localState needs, here and for a
 * tensor-parallel pipeline stage (pipeline-checkpoint.ts).
 */
export function tensorParallelPlacement(tp: TensorParallel, replicaWrites = true): { place: typeof shardPlace; writes: (cut: boolean) => boolean } {
  return { place: shardPlace, writes: (cut) => replicaWrites && (cut || tp.rank === 0) };
}

/**
 * What a chapter hands its training loop for a tensor-parallel model: the hooks, sharded
 * checkpoints in `dir` with the step timeline (every rank passes them), and no single-file
 * checkpoints (best.safetensors would hold rank 0's pieces only).
 */
export function tensorParallelRun(tp: TensorParallel, model: Module, optimizer: Optimizer, dir: string, title: string, grid?: ProcessGrid | null): ReturnType<typeof tensorParallelHooks> & DistributedRunHooks & { checkpoints: false } {
  const { world } = initProcessGroup();
  // with data parallel too (the grid's dp x tp), dp rank 0's replica writes the pieces
  const shape = grid?.shape ?? { dp: 1, pp: 1, tp: tp.size };
  const state = tensorParallelState(model, optimizer, tp, (grid?.coords.dp ?? 0) === 0);
  return { ...tensorParallelHooks(tp, model), checkpoints: false, ...distributedRun({ world, dir, state, layout: { ...shape, zero: 0 }, title: `${title}, ${describeLayout(shape)}${tp.sequenceParallel ? ' + SP' : ''}` }) };
}

/**
 * --tp N and --sequence-parallel: the tp group of this rank (of the run's grid when given; else
 * the whole job: tp = the number of ranks), or null without --tp. Refuses to start outside an MPI job.
 */
export async function tensorParallelFromFlags(o: { tp?: number; sequenceParallel?: boolean }, log: (m: string) => void = () => {}, runGrid?: ProcessGrid | null): Promise<TensorParallel | null> {
  const size = o.tp ?? 1;
  if (o.sequenceParallel && size < 2) throw new GradpathError('--sequence-parallel splits the sequence over the tensor-parallel ranks: give it with --tp N (N >= 2)');
  if (size < 2) return null;
  if (!inMpiJob()) throw new GradpathError(`--tp ${size} needs ${size} processes: run it as gradpath launch -n ${size} -- <command> (or under mpirun -np ${size})`);
  if (runGrid) return new TensorParallel(runGrid.tp, o.sequenceParallel ?? false); // the run's grid (parallel-context.ts), which printed itself
  const { world } = initProcessGroup();
  const grid = await processGrid(world, { dp: 1, pp: 1, tp: size });
  if (world.rank === 0) log(describeGrid(grid.shape));
  return new TensorParallel(grid.tp, o.sequenceParallel ?? false);
}
