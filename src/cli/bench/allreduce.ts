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
 * through the MPI addon, from 4 KB to 512 MB, on every rank of an MPI job, against the MPI
 * library's own time in the same run. Run outside one, it launches itself on -n ranks of this machine.
 */

const BIN = fileURLToPath(new URL('../../../../bin/gradpath.js', import.meta.url));
const NAMES: Record<Collective, string> = { allreduce: 'all-reduce', reducescatter: 'reduce-scatter', allgather: 'all-gather' };

interface Row {
  op: Collective;
  bytes: number;
  iters: number;
  /** Seconds per operation through the addon (a promise each), and the library's own (the reference). */
  seconds: number;
  reference: number;
  algbw: number;
  busbw: number;
}

const OP_CODE: Record<Collective, 0 | 1 | 2> = { allreduce: 0, reducescatter: 1, allgather: 2 };

function median(xs: ArrayLike<number>): number {
  const s = Array.from(xs).sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * One collective at one size, through the addon (await per call, as training code does) and
 * through the library alone (back-to-back calls timed in C on the communication thread),
 * alternated over two rounds in the same job. Each rank takes the median per call (robust to
 * other processes taking the cores now and then); the slowest rank's is reported.
 */
async function measure(world: Communicator, op: Collective, floats: number, a: Float32Array, b: Float32Array, targetSeconds: number): Promise<{ iters: number; seconds: number; reference: number }> {
  const block = floats / world.size;
  const x = a.subarray(0, floats);
  const y = b.subarray(0, block);
  const run = op === 'allreduce' ? () => world.allReduce(x) : op === 'reducescatter' ? () => world.reduceScatter(x, y) : () => world.allGather(y, x);
  const shared = new Float32Array(1);
  let t0 = performance.now();
  await run();
  shared[0] = Math.min(1000, Math.max(1, Math.ceil(targetSeconds / ((performance.now() - t0) / 1000 + 1e-6))));
  await world.broadcast(shared, 0); // every rank runs the same number
  const iters = shared[0];
  const addon: number[] = [];
  const library: number[] = [];
  for (let round = 0; round < 2; round++) {
    await world.barrier();
    for (let i = 0; i < iters; i++) {
      t0 = performance.now();
      await run();
      addon.push((performance.now() - t0) / 1000);
    }
    await world.barrier();
    library.push(...(await world.timeLibrary(OP_CODE[op], x, y, iters)));
  }
  const mine = new Float32Array([median(addon), median(library)]);
  const all = new Float32Array(2 * world.size);
  await world.allGather(mine, all);
  const slowest = (k: number) => Math.max(...Array.from({ length: world.size }, (_, r) => all[2 * r + k]));
  return { iters, seconds: slowest(0), reference: slowest(1) };
}

const formatTime = (s: number) => (s < 1e-3 ? `${(s * 1e6).toFixed(1)} us` : s < 1 ? `${(s * 1e3).toFixed(2)} ms` : `${s.toFixed(3)} s`);

export const command = defineCommand({
  name: 'allreduce',
  summary: 'Time and bus bandwidth of MPI all-reduce, reduce-scatter and all-gather, 4 KB to 512 MB',
  description: `Under mpirun (or \`gradpath launch -n N -- bench allreduce\`) every rank takes part and rank 0
prints the table; run directly, it launches itself on -n ranks of this machine. Bandwidths follow
nccl-tests: algbw = bytes / time (bytes: the all-reduce buffer, the reduce-scatter input, the
all-gather output), busbw = algbw x 2(n-1)/n for all-reduce and x (n-1)/n for the others. Each size
is timed through the addon (a promise per call) and, alternately in the same job, as the
same calls back to back in C on the communication thread (MPI alone: the reference); each
rank's median per call, the slowest rank's reported. Needs MPI and the
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
    seconds: { type: 'float', default: 0.1, min: 0.001, help: 'Timed seconds per size and round (2 rounds each of addon and MPI alone)', placeholder: 'S' },
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
        const { iters, seconds, reference } = await measure(world, op, bytes / 4, a, b, opts.seconds);
        const algbw = bytes / seconds / 1e9;
        rows.push({ op, bytes, iters, seconds, reference, algbw, busbw: algbw * busBandwidthFactor(op, world.size) });
      }
    }
    if (world.rank !== 0) return 0;

    const btl = process.env.OMPI_MCA_btl ? `OMPI_MCA_btl=${process.env.OMPI_MCA_btl}` : 'default transports (shared memory between local ranks)';
    console.log(`${NAMES[ops[0]]}${ops.length > 1 ? ' etc.' : ''} on ${world.size} ranks, ${group.library}, ${btl}; float32, in place where MPI allows; time = the slowest rank's median per call`);
    console.log(`load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores; GB/s = 1e9 bytes/s; busbw from the addon's time; 'MPI alone': the same calls back to back in C, alternated with the addon's in this run`);
    console.log('');
    const header = ['size'];
    for (const op of ops) header.push(`${NAMES[op]} time`, 'busbw GB/s', 'MPI alone', 'ratio');
    const table = sizes.map((bytes) => {
      const cells: (string | number)[] = [formatBytes(bytes)];
      for (const op of ops) {
        const r = rows.find((x) => x.op === op && x.bytes === bytes)!;
        cells.push(formatTime(r.seconds), r.busbw.toFixed(2), formatTime(r.reference), `${(r.seconds / r.reference).toFixed(2)}x`);
      }
      return cells;
    });
    console.log(formatTable(header, table));
    if (opts.json) {
      console.log(JSON.stringify({
        ranks: world.size, library: group.library, btl: process.env.OMPI_MCA_btl ?? 'default', load: loadavg()[0],
        results: rows.map((r) => ({ op: r.op, bytes: r.bytes, iters: r.iters, seconds: r.seconds, algbw_gbps: r.algbw, busbw_gbps: r.busbw, mpi_alone_seconds: r.reference })),
      }));
    }
    return 0;
  },
});
