/**
 * Tensor parallel (Megatron) on 2 ranks against the single-process run of the same tiny GPT: every
 * step's loss and the final parameters re-assembled from the ranks (rank-tp.ts checks them on each
 * rank, with the tolerances it states: loss 2e-5 relative, parameters 1e-4 absolute), dropout on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mpiSkip, runLaunch, script } from './mpi.js';

const skip = mpiSkip();
if (skip) console.log(`# skipping the tensor-parallel tests: ${skip}`);

export function expectRanksOk(r: { code: number | null; stdout: string; stderr: string }, mode: string, ranks: number): void {
  assert.equal(r.code, 0, `the job failed:\n${r.stdout}\n${r.stderr}`);
  for (let rank = 0; rank < ranks; rank++) assert.match(r.stdout, new RegExp(`^rank ${rank}: ${mode.replace('+', '\\+')} ok on ${ranks} ranks`, 'm'), r.stdout + r.stderr);
}

test('tensor parallel on 2 ranks reproduces the single-process GPT: 12 steps of losses and the final parameters', { skip, timeout: 120_000 }, async () => {
  expectRanksOk(await runLaunch(['-n', '2', '--', script('rank-tp.js')]), 'tp', 2);
});
