/**
 * ZeRO-1, 2 and 3 on 2 ranks (ZeRO-3 with gradient accumulation) reproduce one process
 * with the same global batch (see ddp.test.ts for the run and dataparallel-check.ts for the
 * tolerance), and hold the bytes per rank of the Playbook's formulas, up to the padding of each
 * bucket to a multiple of the ranks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mpiSkip } from './mpi.js';
import { runDataParallel, type RankResult } from './dataparallel-check.js';
import { parsePlanModel } from '../../src/dist/plan-model.js';
import { memoryPerRank } from '../../src/dist/plan.js';

const skip = mpiSkip();
if (skip) console.log(`# skipping the ZeRO tests: ${skip}`);

/** |measured - formula| within the padding: fewer than N floats per bucket (per moment for Adam's two). */
function near(measured: number, formula: number, ranks: number, buckets: number, what: string): void {
  assert.ok(measured >= formula && measured - formula < 4 * ranks * buckets, `${what}: measured ${measured} bytes, formula ${formula}`);
}

/**
 * `gradpath plan`'s prediction for the same tiny GPT (rank-dataparallel.ts: vocab 65, block 16,
 * 4 heads, width 32) within 10% of what each rank measured: parameters, gradients, Adam state.
 */
function checkPlan(results: RankResult[], zero: 1 | 2 | 3, layers: number): void {
  const plan = memoryPerRank(parsePlanModel(`${layers},4,32`, 16, 65), { microBatch: 4, seqLen: 16, accum: 1, dtype: 'fp32', ppSchedule: '1f1b' },
    { dp: 2, tp: 1, pp: 1, zero, recompute: 'none', sp: false });
  for (const { rank, report: r } of results) {
    // ZeRO-1 here keeps the reduced gradient piece beside the full local gradients: 4Ψ + 4Ψ/N, not the plan's 4Ψ
    const grads = zero === 1 ? plan.gradBytes * (1 + 1 / 2) : plan.gradBytes;
    const pairs = [['params', r.measured.params, plan.paramBytes], ['grads', r.measured.grads, grads], ['optimizer', r.measured.optimizer, plan.optimizerBytes]] as const;
    for (const [what, measured, planned] of pairs) {
      assert.ok(Math.abs(measured - planned) <= 0.1 * planned, `zero ${zero} rank ${rank} ${what}: measured ${measured} bytes, gradpath plan says ${planned}`);
    }
  }
}

function checkMemory(results: RankResult[], zero: number): void {
  for (const { rank, report: r } of results) {
    const n = r.ranks, buckets = 64; // a generous bound on buckets/units in these runs
    assert.equal(r.zero, zero);
    near(r.measured.optimizer, r.formula.optimizer, n, 2 * buckets, `rank ${rank} optimizer`);
    if (zero >= 2) near(r.measured.grads, r.formula.grads, n, buckets, `rank ${rank} gradients`);
    else near(r.measured.grads, r.formula.grads + r.formula.grads / n, n, buckets, `rank ${rank} gradients (full local ones + the reduced piece)`);
    if (zero === 3) near(r.measured.params, r.formula.params, n, buckets, `rank ${rank} parameters`);
    else near(r.measured.params, r.formula.params, n, buckets, `rank ${rank} parameters (whole)`);
  }
}

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
