/**
 * Flags of the parallel training modes, shared by `gradpath gpt2 train` and `gradpath chargpt`
 * (issue #17). Each mode keeps its lines together under its own comment.
 */
import type { OptionSpecs } from './args.js';
import { checkLaunched, wantsDataParallel, type DataParallelFlags } from '../dist/ddp.js';
import { checkZeroStage } from '../dist/zero.js';

// --- data parallel (DDP) and ZeRO-1/2/3: src/dist/ddp.ts
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
// --- end of data parallel
