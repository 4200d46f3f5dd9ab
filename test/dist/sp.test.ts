/**
 * Tensor + sequence parallel on 2 ranks against the single-process run of the same tiny GPT (see
 * rank-tp.ts: losses 2e-5 relative, parameters 1e-4 absolute), dropout on: each rank's slice of the
 * sequence is masked as the single process masks it. Also checks that the blocks' all-reduces
 * became all-gathers and reduce-scatters.
 */
import { test } from 'node:test';
import { mpiSkip, runLaunch, script } from './mpi.js';
import { expectRanksOk } from './tp-check.js';

const skip = mpiSkip();
if (skip) console.log(`# skipping the sequence-parallel tests: ${skip}`);

test('tensor + sequence parallel on 2 ranks reproduces the single-process GPT: 12 steps of losses and the final parameters', { skip, timeout: 120_000 }, async () => {
  expectRanksOk(await runLaunch(['-n', '2', '--', script('rank-tp.js'), '--sp']), 'tp+sp', 2);
});
