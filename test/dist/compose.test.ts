/**
 * The parallel modes composed on the process grid (src/dist/compose.ts), 4 ranks oversubscribed:
 * dp 2 x tp 2, dp 2 x pp 2 and tp 2 x pp 2 each reproduce one process training the same tiny GPT for 12 steps
 * (every step's loss within 2e-5 relative, grad norm 1e-4 relative, every final parameter within
 * 1e-4 absolute; the checks run on the ranks, rank-compose.ts, in one job to save its start).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mpiSkip, runLaunch, script } from './mpi.js';

const skip = mpiSkip();
if (skip) console.log(`# skipping the composed-parallelism tests: ${skip}`);

test('dp 2 x tp 2, dp 2 x pp 2 and tp 2 x pp 2 on 4 ranks reproduce one process: 12 steps of losses, grad norms and the final parameters', { skip, timeout: 180_000 }, async () => {
  const r = await runLaunch(['-n', '4', '--', script('rank-compose.js')], {}, 170);
  assert.equal(r.code, 0, `the job failed:\n${r.stdout}\n${r.stderr}`);
  for (const mode of ['dp-tp', 'dp-pp', 'tp-pp']) {
    for (let rank = 0; rank < 4; rank++) assert.match(r.stdout, new RegExp(`^rank ${rank}: ${mode} ok`, 'm'), r.stdout + r.stderr);
  }
  console.log(r.stdout.split('\n').filter((l) => /^rank \d: (dp|tp)-/.test(l)).map((l) => `# ${l}`).join('\n'));
  console.log(`# 4-rank job: ${r.seconds.toFixed(1)} s`);
});
