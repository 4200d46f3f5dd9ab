import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineCommand } from '../args.js';
import { formatTable } from '../../util/format.js';
import { GradpathError } from '../../util/errors.js';
import { busBandwidthFactor, COLLECTIVES, formatBytes, parseBytes, type Collective } from '../../dist/bandwidth.js';
import type { Communicator } from '../../dist/communicator.js';
import { launch } from '../../dist/launcher.js';
import { initProcessGroup, inMpiJob } from '../../dist/process-group.js';

/**
 * `gradpath bench allreduce`: time and bus bandwidth of all-reduce, reduce-scatter and all-gather
 * through the MPI addon, from 4 KB to 512 MB, on every rank of an MPI job. Run outside one, it
 * launches itself on -n ranks of this machine.
 */

const BIN = fileURLToPath(new URL('../../../../bin/gradpath.js', import.meta.url));
const NAMES: Record<Collective, string> = { allreduce: 'all-reduce', reducescatter: 'reduce-scatter', allgather: 'all-gather' };

interface Row {
  op: Collective;
  bytes: number;
  iters: number;
  seconds: number;
  algbw: number;
  busbw: number;
}

/** One operation on `floats` floats of the whole array (see bandwidth.ts), on preallocated memory. */
function operation(world: Communicator, op: Collective, floats: number, a: Float32Array, b: Float32Array): () => Promise<void> {
  const block = floats / world.size;
  if (op === 'allreduce') return () => world.allReduce(a.subarray(0, floats));
  if (op === 'reducescatter') return () => world.reduceScatter(a.subarray(0, floats), b.subarray(0, block));
  return () => world.allGather(b.subarray(0, block), a.subarray(0, floats));
}

/** Seconds per operation (the slowest rank's), after a warm-up that also picks the repetitions. */
async function timeOperation(world: Communicator, run: () => Promise<void>, targetSeconds: number): Promise<{ iters: number; seconds: number }> {
  const shared = new Float32Array(1);
  let t0 = performance.now();
  await run();
  shared[0] = Math.min(1000, Math.max(2, Math.ceil(targetSeconds / ((performance.now() - t0) / 1000 + 1e-6))));
  await world.broadcast(shared, 0); // every rank runs the same number
  const iters = shared[0];
  await world.barrier();
  t0 = performance.now();
  for (let i = 0; i < iters; i++) await run();
  const mine = new Float32Array([(performance.now() - t0) / 1000 / iters]);
  const all = new Float32Array(world.size);
  await world.allGather(mine, all);
  return { iters, seconds: Math.max(...all) };
}

export const command = defineCommand({
  name: 'allreduce',
  summary: 'Time and bus bandwidth of MPI all-reduce, reduce-scatter and all-gather, 4 KB to 512 MB',
  description: `Under mpirun (or \`gradpath launch -n N -- bench allreduce\`) every rank takes part and rank 0
prints the table; run directly, it launches itself on -n ranks of this machine. Bandwidths follow
nccl-tests: algbw = bytes / time (bytes: the all-reduce buffer, the reduce-scatter input, the
all-gather output), busbw = algbw x 2(n-1)/n for all-reduce and x (n-1)/n for the others. Each size
runs for about --seconds after a warm-up; the time is the slowest rank's mean. Needs MPI and the
addon (apt-get install openmpi-bin libopenmpi-dev; gradpath dist build).
Examples:
  gradpath bench allreduce                    2 ranks, shared memory
  gradpath bench allreduce --tcp              2 ranks over TCP loopback (OMPI_MCA_btl=tcp,self)`,
  options: {
    n: { type: 'int', short: 'n', default: 2, min: 2, help: 'Ranks to launch when not already under mpirun' },
    tcp: { type: 'boolean', help: 'When launching: TCP only (OMPI_MCA_btl=tcp,self)' },
    'min-size': { type: 'string', default: '4KB', help: 'Smallest array', placeholder: 'BYTES' },
    'max-size': { type: 'string', default: '512MB', help: 'Largest array (sizes double from the smallest)', placeholder: 'BYTES' },
    ops: { type: 'string', default: COLLECTIVES.join(','), help: 'Which collectives, comma-separated', placeholder: 'LIST' },
    seconds: { type: 'float', default: 0.2, min: 0.001, help: 'Timed seconds per size (at least 2 operations)', placeholder: 'S' },
    json: { type: 'boolean', help: 'Print a JSON summary as the last line' },
  },
  async run(opts) {
    const minBytes = parseBytes(opts.minSize, '--min-size');
    const maxBytes = parseBytes(opts.maxSize, '--max-size');
    if (maxBytes < minBytes) throw new GradpathError(`--max-size (${opts.maxSize}) is below --min-size (${opts.minSize})`);
    const ops = opts.ops.split(',').map((s) => s.trim().toLowerCase().replace(/[-_]/g, '')) as Collective[];
    for (const op of ops) if (!COLLECTIVES.includes(op)) throw new GradpathError(`--ops: unknown collective '${op}'; choose from ${COLLECTIVES.join(', ')}`);

    if (!inMpiJob()) {
      const args = ['bench', 'allreduce', '--min-size', opts.minSize, '--max-size', opts.maxSize, '--ops', opts.ops, '--seconds', String(opts.seconds), ...(opts.json ? ['--json'] : [])];
      return launch({ ranks: opts.n, program: [process.execPath, BIN, ...args], tcp: opts.tcp });
    }

    const group = initProcessGroup();
    const { world } = group;
    const unit = 4 * world.size; // every rank's block a whole number of floats
    const sizes: number[] = [];
    for (let b = minBytes; b <= maxBytes; b *= 2) sizes.push(Math.max(unit, Math.floor(b / unit) * unit));
    const a = new Float32Array(sizes[sizes.length - 1] / 4).fill(1);
    const b = new Float32Array(sizes[sizes.length - 1] / 4 / world.size).fill(1);
    const rows: Row[] = [];
    for (const bytes of sizes) {
      for (const op of ops) {
        const { iters, seconds } = await timeOperation(world, operation(world, op, bytes / 4, a, b), opts.seconds);
        const algbw = bytes / seconds / 1e9;
        rows.push({ op, bytes, iters, seconds, algbw, busbw: algbw * busBandwidthFactor(op, world.size) });
      }
    }
    if (world.rank !== 0) return 0;

    const btl = process.env.OMPI_MCA_btl ? `OMPI_MCA_btl=${process.env.OMPI_MCA_btl}` : 'default transports (shared memory between local ranks)';
    console.log(`${NAMES[ops[0]]}${ops.length > 1 ? ' etc.' : ''} on ${world.size} ranks, ${group.library}, ${btl}; float32, in place where MPI allows; time = slowest rank's mean`);
    console.log(`load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores; GB/s = 1e9 bytes/s`);
    console.log('');
    const header = ['size'];
    for (const op of ops) header.push(`${NAMES[op]} time`, 'algbw GB/s', 'busbw GB/s');
    const table = sizes.map((bytes) => {
      const cells: (string | number)[] = [formatBytes(bytes)];
      for (const op of ops) {
        const r = rows.find((x) => x.op === op && x.bytes === bytes)!;
        cells.push(r.seconds < 1e-3 ? `${(r.seconds * 1e6).toFixed(1)} us` : r.seconds < 1 ? `${(r.seconds * 1e3).toFixed(2)} ms` : `${r.seconds.toFixed(3)} s`, r.algbw.toFixed(2), r.busbw.toFixed(2));
      }
      return cells;
    });
    console.log(formatTable(header, table));
    if (opts.json) {
      console.log(JSON.stringify({
        ranks: world.size, library: group.library, btl: process.env.OMPI_MCA_btl ?? 'default', load: loadavg()[0],
        results: rows.map((r) => ({ op: r.op, bytes: r.bytes, iters: r.iters, seconds: r.seconds, algbw_gbps: r.algbw, busbw_gbps: r.busbw })),
      }));
    }
    return 0;
  },
});
