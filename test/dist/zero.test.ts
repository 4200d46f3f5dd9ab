/**
 * ZeRO-1, 2 and 3 on 2 ranks (ZeRO-3 with gradient accumulation) reproduce one process
 * with the same global batch (see ddp.test.ts for the run and dataparallel-check.ts for the
 * tolerance), and hold the bytes per rank of the Playbook's formulas, up to the padding of each
 * bucket to a multiple of the ranks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mpiSkip } from './mpi.js';
import { checkMemory, checkPlan, near, runDataParallel } from './dataparallel-check.js';

const skip = mpiSkip();
if (skip) console.log(`# skipping the ZeRO tests: ${skip}`);

for (const zero of [1, 2] as const) {
  test(`ZeRO-${zero} on 2 ranks matches one process; bytes per rank as the formulas`, { skip, timeout: 180_000 }, async () => {
    const results = await runDataParallel(2, ['--zero', String(zero)]);
    checkMemory(results, zero);
    checkPlan(results, zero, 2);
    // reduce-scatter of the gradients plus all-gather of the parameters: DDP's volume
    const r = results[0].report;
    near(r.commBytesPerStep.measured, r.commBytesPerStep.formula, 2, 64, 'bytes sent per step');
  });
}

test('ZeRO-3 on 2 ranks (4 layers: re-gathered in backward; 2 accumulation steps) matches one process; bytes per rank as the formulas', { skip, timeout: 180_000 }, async () => {
  const results = await runDataParallel(2, ['--zero', '3', '--layers', '4', '--accum', '2']);
  checkMemory(results, 3);
  checkPlan(results, 3, 4);
});
