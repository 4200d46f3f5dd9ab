/**
 * Every collective against its serial computation, under mpirun (through `gradpath launch`):
 * 2 ranks on sizes 1, 3 and 1M+1 on plain arrays, views at an offset and views into the wasm
 * arena, with the chunked paths; 4 ranks (oversubscribed on 2 cores) on each size once; and a
 * job that talks over TCP only. The checks themselves run on the ranks (rank-collectives.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mpiSkip, runLaunch, script } from './mpi.js';

const skip = mpiSkip();
if (skip) console.log(`# skipping the MPI collective tests: ${skip}`);

function expectPassed(r: { code: number | null; stdout: string; stderr: string }, ranks: number): void {
  assert.equal(r.code, 0, `the job failed:\n${r.stdout}\n${r.stderr}`);
  for (let rank = 0; rank < ranks; rank++) {
    assert.match(r.stdout, new RegExp(`^rank ${rank}: \\d+ checks passed on ${ranks} ranks`, 'm'), r.stdout + r.stderr);
  }
}

test('collectives on 2 ranks: sizes 1, 3, 1M+1; plain, offset and wasm-arena views; chunked', { skip, timeout: 180_000 }, async () => {
  expectPassed(await runLaunch(['-n', '2', '--', script('rank-collectives.js'), '--chunked']), 2);
});

test('collectives on 4 ranks, oversubscribed: process grid dp2 x tp2', { skip, timeout: 180_000 }, async () => {
  expectPassed(await runLaunch(['-n', '4', '--', script('rank-collectives.js'), '1:wasm', '3:offset', '1000001:plain']), 4);
});

test('collectives over TCP only (OMPI_MCA_btl=tcp,self)', { skip, timeout: 180_000 }, async () => {
  const r = await runLaunch(['-n', '2', '--tcp', '--', script('rank-collectives.js'), '3:offset', '1000001:wasm']);
  expectPassed(r, 2);
  assert.match(r.stdout, /btl tcp,self/);
});

test('collectives with MPI_THREAD_SERIALIZED: every communicator on one shared thread', { skip, timeout: 180_000 }, async () => {
  const r = await runLaunch(['-n', '2', '--', script('rank-collectives.js'), '3:offset', '1000001:wasm'], { GRADPATH_MPI_THREADS: 'serialized' });
  expectPassed(r, 2);
  assert.match(r.stdout, /MPI_THREAD_SERIALIZED/);
});
