/**
 * Run on each of the two "machines" by netns.test.ts (scripts/netns-pair.sh): the rank's IPv4
 * addresses (which namespace it runs in) and an all-reduce of 1M+1 floats checked against the
 * serial sum. Outside an MPI job (node --test runs every file here) it does nothing.
 */
import { networkInterfaces } from 'node:os';
import { initProcessGroup, inMpiJob } from '../../src/dist/process-group.js';

async function main(): Promise<void> {
  const { world } = initProcessGroup();
  const n = (1 << 20) + 1;
  const value = (rank: number, i: number) => ((i * 7 + rank * 13) % 101) - 50; // small integers: every sum exact
  const x = Float32Array.from({ length: n }, (_, i) => value(world.rank, i));
  await world.allReduce(x);
  let wrong = 0;
  for (let i = 0; i < n; i++) {
    let want = 0;
    for (let r = 0; r < world.size; r++) want += value(r, i);
    if (x[i] !== want) wrong++;
  }
  const addresses = Object.values(networkInterfaces()).flat().filter((a) => a && a.family === 'IPv4' && !a.internal).map((a) => a!.address);
  console.log(`netns rank ${world.rank} of ${world.size}: addresses ${addresses.join(',') || 'none'}; all-reduce of ${n} floats: ${wrong} wrong`);
}

if (inMpiJob()) await main();
