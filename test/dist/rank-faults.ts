/**
 * Run on every rank by faults.test.ts under `gradpath launch`: rank 1 fails in the way
 * GRADPATH_TEST_FAULT names while rank 0 waits in an all-reduce; the job must end, every rank.
 * Each rank writes its pid to GRADPATH_TEST_PIDS/<rank>.pid so the test can check that none is
 * left. Outside an MPI job (node --test runs every file here) it does nothing.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initProcessGroup, inMpiJob } from '../../src/dist/process-group.js';

async function main(fault: string): Promise<void> {
  const { world, rank } = initProcessGroup();
  writeFileSync(join(process.env.GRADPATH_TEST_PIDS!, `${rank}.pid`), String(process.pid));
  await world.barrier();
  if (rank !== 1) {
    await world.allReduce(new Float32Array(10)); // never completes: rank 1 does not take part
    return;
  }
  if (fault === 'kill') process.kill(process.pid, 'SIGKILL');
  if (fault === 'throw') throw new Error('deliberate failure in the fault test');
  if (fault === 'exit') process.exit(3);
  // 'hang': alive but never joining the all-reduce, until the job is ended.
  await new Promise((resolve) => setTimeout(resolve, 600_000));
}

if (inMpiJob()) await main(process.env.GRADPATH_TEST_FAULT ?? 'hang');
