/**
 * Pipeline parallel reproduces one process: a tiny GPT (3 layers, n_embd 32, block 16, vocab 65,
 * tied head) trained 12 steps with GPipe and with 1F1B on 2 ranks, and with 1F1B on 3 ranks (a
 * middle stage, and the first and last stage's own group for the tied weight); every step's loss
 * within 2e-5 and grad norm within 1e-4 relative, final parameters within 5e-5, a pipelined
 * evaluation within 2e-5, and the activations held at once: 1F1B p - s micro-batches on stage s,
 * GPipe all m. The checks run on the ranks (rank-pp.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mpiSkip, runLaunch, script } from './mpi.js';

const skip = mpiSkip();
if (skip) console.log(`# skipping the pipeline-parallel tests: ${skip}`);

async function expectReproduced(ranks: number, schedule: string, m: number): Promise<void> {
  const r = await runLaunch(['-n', String(ranks), '--', script('rank-pp.js'), schedule, String(m)]);
  assert.equal(r.code, 0, `the job failed:\n${r.stdout}\n${r.stderr}`);
  for (let rank = 0; rank < ranks; rank++) {
    assert.match(r.stdout, new RegExp(`^rank ${rank}: pp ${schedule} stage ${rank}/${ranks} .* reproduced 12 steps`, 'm'), r.stdout + r.stderr);
  }
}

test('GPipe on 2 stages (4 micro-batches) reproduces one process', { skip, timeout: 120_000 }, () => expectReproduced(2, 'gpipe', 4));

test('1F1B on 2 stages (4 micro-batches) reproduces one process', { skip, timeout: 120_000 }, () => expectReproduced(2, '1f1b', 4));

test('1F1B on 3 stages (8 micro-batches), oversubscribed, reproduces one process', { skip, timeout: 120_000 }, () => expectReproduced(3, '1f1b', 8));
