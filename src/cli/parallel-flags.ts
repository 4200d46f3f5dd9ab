/**
 * The parallel modes of issue #17, shared by `gradpath gpt2 train` and `gradpath chargpt`: each
 * mode's flags together under a comment naming it. Run them under `gradpath launch -n N -- ...`.
 */
import type { OptionSpecs } from './args.js';
import { GradpathError } from '../util/errors.js';
import { checkLaunched, launchHint, wantsDataParallel, type DataParallelFlags } from '../dist/ddp.js';
import { inMpiJob } from '../dist/process-group.js';
import { checkZeroStage } from '../dist/zero.js';
import { PIPELINE_SCHEDULES } from '../dist/pipeline-schedule.js';

// --- data parallel (DDP) and ZeRO-1/2/3: src/dist/ddp.ts, zero*.ts
export const dataParallelFlags = {
  dp: { type: 'int', min: 1, help: 'Data-parallel ranks: the world size / (tp x pp); launch them with `gradpath launch -n N -- ...` or mpirun. Each computes batch/N rows' },
  zero: { type: 'int', min: 0, help: 'ZeRO stage with --dp: 1 shards the optimizer state, 2 the gradients too, 3 the parameters too (default 0: plain DDP)' },
  'bucket-mb': { type: 'float', min: 0, help: 'Gradient bucket size in MB, all-reduced (ZeRO: reduce-scattered) during backward (default 25)' },
} satisfies OptionSpecs;

/** The data-parallel part of parsed options, when they ask for it. */
export function dataParallelOptions(o: { dp?: number; zero?: number; bucketMb?: number }): DataParallelFlags | undefined {
  const f = { dp: o.dp, zero: o.zero === undefined ? undefined : checkZeroStage(o.zero), bucketMb: o.bucketMb };
  if (!wantsDataParallel(f)) return undefined; // --dp 1 outside an MPI job: one ordinary process
  checkLaunched(f);
  return f;
}

// --- tensor parallel (Megatron) and sequence parallel: src/dist/tensor-parallel*.ts, sequence-parallel.ts
export const tensorParallelFlags = {
  tp: { type: 'int', min: 1, help: 'Tensor-parallel ranks: split every layer (heads, MLP width, vocabulary) over N processes (needs gradpath launch -n N)', placeholder: 'N' },
  'sequence-parallel': { type: 'boolean', help: "With --tp: LayerNorm and dropout work on each rank's slice of the sequence (all-gather / reduce-scatter instead of all-reduce)" },
} satisfies OptionSpecs;

/**
 * Which parallel modes one run can combine on the process grid (src/dist/compose.ts): dp, tp and
 * pp in any mix, with plain DDP or ZeRO-1/2 over the dp group. What cannot is refused in one line
 * naming it, before MPI starts: sequence parallel with a pipeline, ZeRO-3 beside tp or pp, ZeRO
 * without --dp.
 */
export function checkParallelModes(o: { dp?: number; tp?: number; pp?: number; zero?: number; sequenceParallel?: boolean }): void {
  const tp = o.tp ?? 1, pp = o.pp ?? 1, zero = o.zero ?? 0;
  if (o.sequenceParallel && pp > 1) throw new GradpathError(`--sequence-parallel with --pp ${pp}: a pipeline sends whole sequences between stages, sequence parallel holds a slice of them; drop --sequence-parallel`);
  if ([1, 2, 3].includes(zero) && (o.dp ?? 1) < 2) throw new GradpathError(`--zero ${zero} shards over the data-parallel ranks, and there is one: add --dp N with N >= 2 (gradpath launch -n N -- <command> --dp N --zero ${zero})`);
  const other = [tp > 1 ? `--tp ${tp}` : '', pp > 1 ? `--pp ${pp}` : ''].filter(Boolean).join(' ');
  if (zero === 3 && other) throw new GradpathError(`--zero 3 with ${other}: ZeRO-3's per-layer gathers are not wired into tensor-parallel layers or pipeline stages; use --zero 1 or 2 (the optimizer state, and the gradients, sharded over the dp group)`);
  const asked = (['dp', 'pp', 'tp'] as const).filter((a) => (o[a] ?? 1) > 1);
  const ranks = (o.dp ?? 1) * pp * tp;
  // one mode alone says this itself; a combination needs the product of the sizes
  if (asked.length > 1 && !inMpiJob()) throw new GradpathError(`${asked.map((a) => `--${a} ${o[a]}`).join(' ')} needs an MPI job of dp x pp x tp = ${ranks} ranks; ${launchHint(ranks)}`);
}

// --- pipeline parallel: src/dist/pipeline.ts
export const pipelineFlags = {
  pp: { type: 'int', min: 1, default: 1, help: 'Pipeline-parallel stages: the blocks split over this many ranks (launch -n N with N = pp)' },
  'pp-schedule': { type: 'choice', choices: PIPELINE_SCHEDULES, default: '1f1b', help: 'Pipeline schedule: 1f1b (holds at most pp micro-batches per stage) or gpipe (all forwards, then all backwards)' },
  'micro-batches': { type: 'int', min: 1, help: 'Micro-batches each batch is cut into for the pipeline (default 2 x --pp; must divide the batch)' },
} satisfies OptionSpecs;

export const parallelFlags = { ...dataParallelFlags, ...tensorParallelFlags, ...pipelineFlags } satisfies OptionSpecs;
