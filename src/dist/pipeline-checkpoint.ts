/**
 * Sharded checkpoints of a pipeline run: each stage saves the blocks (and the embeddings, or ln_f
 * and the head) it holds, with their AdamW moments, under their global names
 * (`h.3.attn.c_attn.weight`, `exp_avg.h.3.attn.c_attn.weight`): whole, or, when the stage is
 * tensor-parallel too (tp x pp, dp x pp x tp), cut as tensor parallel cuts them (each tp rank its
 * slices, tp rank 0 the whole tensors: tensorParallelPlacement). The last stage's copy of a tied
 * head is not saved (the first stage saves it as wte.weight) and loads from wte.weight. Together
 * the stages' files are the one-process model, so a pp run resumes on one process, a one-process
 * run resumes as pp, and `gradpath dist merge` makes them one file.
 *
 * The index numbers optimizer state as a single process does (what merge and a one-process
 * latest.safetensors go by): each stage's optimizer groups hold only its own parameters, so the
 * global order is every group's names concatenated over the stages in order (stages hold
 * consecutive blocks, which is the whole model's parameter order), gathered once at the start.
 *
 * A stage's dropout masks come from a stream of its own (Pipeline.attach), saved in every rank's
 * shard under the stage's name, so a run with dropout resumes exactly in the same layout.
 */
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { localState, optimizerParamNames, type ShardedState } from './checkpoint.js';
import { allGatherText } from './gather-text.js';
import type { ProcessGrid } from './grid.js';
import { describeLayout } from './parallel-context.js';
import type { Pipeline } from './pipeline.js';
import { initProcessGroup } from './process-group.js';
import { distributedRun, type DistributedRunHooks } from './run-hooks.js';
import { tensorParallelPlacement } from './tensor-parallel-training.js';

/**
 * What this stage saves and loads (collective over the pp communicator: every stage calls it).
 * `replicaWrites` false: another data-parallel replica (dp rank 0's) writes the same pieces. A
 * tensor-parallel stage (the pipeline attached with its tp group) saves its pieces as cut.
 */
export async function pipelineState(pipe: Pipeline, model: Module, optimizer: Optimizer, replicaWrites = true): Promise<ShardedState> {
  const copies = pipe.tiedCopies();
  const names = optimizerParamNames(model, optimizer);
  let at = 0;
  // this stage's parameter names, group by group (the tied copy left out: stage 0 lists it as wte.weight)
  const groups = optimizer.groups.map((g) => names.slice(at, (at += g.params.length)).filter((n) => copies[n] === undefined));
  const stages = (await allGatherText(pipe.comm, JSON.stringify(groups))).map((t) => JSON.parse(t) as string[][]);
  const paramOrder = groups.flatMap((_, k) => stages.flatMap((s) => s[k] ?? []));
  const placement = pipe.tensorParallel ? tensorParallelPlacement(pipe.tensorParallel, replicaWrites) : { writes: () => replicaWrites };
  const masks = pipe.masks;
  const generators = masks ? () => ({ [`dropout masks of pp stage ${pipe.stage} of ${pipe.stages}`]: masks }) : undefined;
  return localState(model, optimizer, { ...placement, copies, paramOrder, generators });
}

/**
 * The loop options of a pipeline stage's run in `dir`: sharded checkpoints of what it holds and
 * the step timeline; no single-file latest (a stage holds part of the model). With data parallel
 * too (the grid's dp x pp, dp x pp x tp), every replica holds the same stages and dp rank 0's writes them.
 */
export async function pipelineRun(pipe: Pipeline, model: Module, optimizer: Optimizer, dir: string, title: string, grid?: ProcessGrid | null): Promise<DistributedRunHooks & { checkpoints: false }> {
  const shape = { dp: grid?.shape.dp ?? 1, pp: pipe.stages, tp: pipe.tensorParallel?.size ?? 1 };
  const state = await pipelineState(pipe, model, optimizer, (grid?.coords.dp ?? 0) === 0);
  const { world } = initProcessGroup();
  return { checkpoints: false, ...distributedRun({ world, dir, state, layout: { ...shape, zero: 0 }, title: `${title}, ${describeLayout(shape)}` }) };
}
