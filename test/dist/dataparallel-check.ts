/**
 * Shared by ddp.test.ts, zero.test.ts and zero-accum.test.ts: runs rank-dataparallel.js under
 * `gradpath launch` and checks what every rank reported against the single-process run, within
 * the stated tolerance, and its bytes per rank against the formulas and `gradpath plan`.
 */
import assert from 'node:assert/strict';
import type { DataParallelReport } from '../../src/dist/zero-memory.js';
import { parsePlanModel } from '../../src/dist/plan-model.js';
import { memoryPerRank } from '../../src/dist/plan.js';
import { runLaunch, script } from './mpi.js';

/**
 * float32, the batch's rows summed on two ranks instead of one (and the mean taken by the
 * all-reduce): every step's loss within 1e-5 and every final parameter within 5e-5 (measured:
 * up to 4.8e-7 and 3.8e-6 over 10 steps of AdamW with clipping).
 */
export const LOSS_TOL = 1e-5;
export const PARAM_TOL = 5e-5;

export interface RankResult {
  rank: number;
  dLoss: number;
  dParam: number;
  report: DataParallelReport;
}

export async function runDataParallel(ranks: number, args: string[]): Promise<RankResult[]> {
  const r = await runLaunch(['-n', String(ranks), '--', script('rank-dataparallel.js'), ...args], {}, 150);
  const all = r.stdout + r.stderr;
  assert.equal(r.code, 0, `the job failed:\n${all}`);
  const out: RankResult[] = [];
  for (let rank = 0; rank < ranks; rank++) {
    const m = new RegExp(`^rank ${rank}: .*max \\|dloss\\| (\\S+); max \\|dparam\\| (\\S+)`, 'm').exec(r.stdout);
    const rep = new RegExp(`^rank ${rank}: report (.*)$`, 'm').exec(r.stdout);
    assert.ok(m && rep, `rank ${rank} reported nothing:\n${all}`);
    out.push({ rank, dLoss: Number(m[1]), dParam: Number(m[2]), report: JSON.parse(rep[1]) as DataParallelReport });
  }
  for (const x of out) {
    assert.ok(x.dLoss <= LOSS_TOL, `rank ${x.rank}: a step's loss differs from the single process by ${x.dLoss} (> ${LOSS_TOL})\n${all}`);
    assert.ok(x.dParam <= PARAM_TOL, `rank ${x.rank}: a final parameter differs from the single process by ${x.dParam} (> ${PARAM_TOL})\n${all}`);
  }
  return out;
}

/** |measured - formula| within the padding: fewer than N floats per bucket (per moment for Adam's two). */
export function near(measured: number, formula: number, ranks: number, buckets: number, what: string): void {
  assert.ok(measured >= formula && measured - formula < 4 * ranks * buckets, `${what}: measured ${measured} bytes, formula ${formula}`);
}

/**
 * `gradpath plan`'s prediction for the same tiny GPT (rank-dataparallel.ts: vocab 65, block 16,
 * 4 heads, width 32) within 10% of what each rank measured: parameters, gradients, Adam state.
 */
export function checkPlan(results: RankResult[], zero: 1 | 2 | 3, layers: number): void {
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

export function checkMemory(results: RankResult[], zero: number): void {
  for (const { rank, report: r } of results) {
    const n = r.ranks, buckets = 64; // a generous bound on buckets/units in these runs
    assert.equal(r.zero, zero);
    near(r.measured.optimizer, r.formula.optimizer, n, 2 * buckets, `rank ${rank} optimizer`);
    if (zero >= 2) near(r.measured.grads, r.formula.grads, n, buckets, `rank ${rank} gradients`);
    else near(r.measured.grads, r.formula.grads + r.formula.grads / n, n, buckets, `rank ${rank} gradients (full local ones + the reduced piece)`);
    // gradient bucket buffers are pooled: none allocated after the first step
    assert.equal(r.bucketBytesAllocated.afterLastStep, r.bucketBytesAllocated.afterFirstStep, `rank ${rank}: bucket buffers allocated after the first step`);
    if (zero === 3) near(r.measured.params, r.formula.params, n, buckets, `rank ${rank} parameters`);
    else near(r.measured.params, r.formula.params, n, buckets, `rank ${rank} parameters (whole)`);
  }
}
