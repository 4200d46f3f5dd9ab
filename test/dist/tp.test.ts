/**
 * Tensor parallel (Megatron) on 2 ranks against the single-process run of the same tiny GPT: every
 * step's loss and the final parameters re-assembled from the ranks (rank-tp.ts checks them on each
 * rank, with the tolerances it states: loss 2e-5 relative, parameters 1e-4 absolute), dropout on.
 */
import { test } from 'node:test';
import { mpiSkip, runLaunch, script } from './mpi.js';
import { expectRanksOk } from './tp-check.js';

const skip = mpiSkip();
if (skip) console.log(`# skipping the tensor-parallel tests: ${skip}`);

test('tensor parallel on 2 ranks reproduces the single-process GPT: 12 steps of losses and the final parameters', { skip, timeout: 120_000 }, async () => {
  expectRanksOk(await runLaunch(['-n', '2', '--', script('rank-tp.js')]), 'tp', 2);
});
