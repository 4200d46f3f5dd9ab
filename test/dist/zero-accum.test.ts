/**
 * ZeRO-2 with gradient accumulation (3 micro-steps): each micro-step's gradients are
 * reduce-scattered into this rank's pieces and the full gradients freed (grad-buckets.ts), so the
 * run still reproduces one process (dataparallel-check.ts's tolerance) while the gradient bytes
 * held at their most, between micro-steps included, are the formula's 4Ψ/N, not 4Ψ; `gradpath
 * plan` agrees within 10%; and the pooled bucket buffers stop growing after the first step.
 * (ZeRO-3 with accumulation: zero.test.ts. ZeRO-1 keeps its full gradients by design, 4Ψ + 4Ψ/N:
 * docs/distributed.md has its measured row.)
 */
import { test } from 'node:test';
import { mpiSkip } from './mpi.js';
import { checkMemory, checkPlan, runDataParallel } from './dataparallel-check.js';

const skip = mpiSkip();
if (skip) console.log(`# skipping the ZeRO accumulation tests: ${skip}`);

test('ZeRO-2 on 2 ranks with 3 accumulation steps matches one process; bytes per rank as the formulas', { skip, timeout: 180_000 }, async () => {
  const results = await runDataParallel(2, ['--zero', '2', '--accum', '3', '--steps', '6']);
  checkMemory(results, 2);
  checkPlan(results, 2, 2);
  const r = results[0].report;
  console.log(`# ZeRO-2 accum 3, rank 0: gradients ${r.measured.grads} B measured at their most vs ${r.formula.grads} B by the formula; bucket buffers allocated ${r.bucketBytesAllocated.afterFirstStep} B after step 1, ${r.bucketBytesAllocated.afterLastStep} B after the last`);
});
