/**
 * Shared by ddp.test.ts and zero.test.ts: runs rank-dataparallel.js under `gradpath launch` and
 * checks what every rank reported against the single-process run, within the stated tolerance.
 */
import assert from 'node:assert/strict';
import type { DataParallelReport } from '../../src/dist/zero-memory.js';
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
