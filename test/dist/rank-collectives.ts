/**
 * Run on every rank by collectives.test.ts under mpirun: each collective against the serial
 * computation of the same result, on sizes 1, 3 and 1M+1, on plain arrays, on views at an offset
 * (with guard values around them that must not change) and on views into the wasm kernels'
 * shared memory; then again with MPI calls cut into small chunks, the path arrays above
 * 2^31-1 floats take. Outside an MPI job (node --test runs every file here) it does nothing.
 */
import { loadAddon } from '../../src/dist/addon.js';
import type { Communicator } from '../../src/dist/communicator.js';
import { processGrid } from '../../src/dist/grid.js';
import { initProcessGroup, inMpiJob } from '../../src/dist/process-group.js';
import { loadBackend } from '../../src/engine/device.js';

type Where = 'plain' | 'offset' | 'wasm';
const GUARD = -777;
const PAD = 3;

/** Exact in float32, and so are the sums of a few of them: the serial result is exact too. */
const value = (rank: number, i: number) => ((i * 7 + rank * 13) % 101) - 50 + rank * 0.25;

let checks = 0;

function alloc(n: number, where: Where): { x: Float32Array; guards: () => void } {
  if (where === 'plain') return { x: new Float32Array(n), guards: () => {} };
  let whole: Float32Array;
  if (where === 'wasm') {
    const made = loadBackend('wasm').allocFloats?.(n + 2 * PAD); // the wasm arena, whichever backend is the default
    if (!made || !(made.buffer instanceof SharedArrayBuffer)) throw new Error('the wasm backend gave no view into its shared memory');
    whole = made;
  } else {
    whole = new Float32Array(n + 2 * PAD);
  }
  whole.fill(GUARD);
  const x = whole.subarray(PAD, PAD + n);
  return {
    x,
    guards: () => {
      for (let i = 0; i < PAD; i++) {
        if (whole[i] !== GUARD || whole[PAD + n + i] !== GUARD) throw new Error(`a ${where} view's neighbours were overwritten`);
      }
    },
  };
}

function expectEqual(got: Float32Array, want: (i: number) => number, what: string): void {
  for (let i = 0; i < got.length; i++) {
    const w = Math.fround(want(i));
    if (got[i] !== w) throw new Error(`${what}: element ${i} of ${got.length} is ${got[i]}, expected ${w}`);
  }
  checks++;
}

const sumOver = (size: number, f: (r: number) => number) => {
  let s = 0;
  for (let r = 0; r < size; r++) s += f(r);
  return s;
};

async function collectives(world: Communicator, n: number, where: Where): Promise<void> {
  const { rank, size } = world;
  const tag = `${where} n=${n}`;
  for (const op of ['sum', 'avg'] as const) {
    const a = alloc(n, where);
    for (let i = 0; i < n; i++) a.x[i] = value(rank, i);
    await world.allReduce(a.x, op);
    a.guards();
    expectEqual(a.x, (i) => sumOver(size, (r) => value(r, i)) / (op === 'avg' ? size : 1), `allReduce ${op} ${tag}`);

    const input = alloc(n * size, where);
    const output = alloc(n, where);
    for (let i = 0; i < n * size; i++) input.x[i] = value(rank, i);
    await world.reduceScatter(input.x, output.x, op);
    input.guards();
    output.guards();
    expectEqual(output.x, (i) => sumOver(size, (r) => value(r, rank * n + i)) / (op === 'avg' ? size : 1), `reduceScatter ${op} ${tag}`);
  }

  const mine = alloc(n, where);
  const gathered = alloc(n * size, where);
  for (let i = 0; i < n; i++) mine.x[i] = value(rank, i);
  await world.allGather(mine.x, gathered.x);
  gathered.guards();
  expectEqual(gathered.x, (i) => value(Math.floor(i / n), i % n), `allGather ${tag}`);

  const inPlace = alloc(n * size, where);
  const block = inPlace.x.subarray(rank * n, (rank + 1) * n);
  for (let i = 0; i < n; i++) block[i] = value(rank, i);
  await world.allGather(block, inPlace.x);
  inPlace.guards();
  expectEqual(inPlace.x, (i) => value(Math.floor(i / n), i % n), `allGather in place ${tag}`);

  const root = size - 1;
  const b = alloc(n, where);
  for (let i = 0; i < n; i++) b.x[i] = value(rank, i);
  await world.broadcast(b.x, root);
  b.guards();
  expectEqual(b.x, (i) => value(root, i), `broadcast ${tag}`);

  // Pairs (0 1) (2 3): even ranks send first, odd ranks receive first.
  const peer = rank ^ 1;
  if (peer < size) {
    const out = alloc(n, where);
    const got = alloc(n, where);
    for (let i = 0; i < n; i++) out.x[i] = value(rank, i);
    if (rank % 2 === 0) {
      await world.send(out.x, peer, 5);
      await world.recv(got.x, peer, 5);
    } else {
      await world.recv(got.x, peer, 5);
      await world.send(out.x, peer, 5);
    }
    got.guards();
    expectEqual(got.x, (i) => value(peer, i), `send/recv ${tag}`);
  }

  // A ring: everyone sends right and receives from the left at once.
  const out = alloc(n, where);
  const got = alloc(n, where);
  for (let i = 0; i < n; i++) out.x[i] = value(rank, i);
  const left = (rank + size - 1) % size;
  await world.sendRecv(out.x, (rank + 1) % size, got.x, left, 9);
  got.guards();
  expectEqual(got.x, (i) => value(left, i), `sendRecv ring ${tag}`);
  await world.barrier();
}

/** Several collectives queued before any is awaited: they run in order on every rank. */
async function queued(world: Communicator): Promise<void> {
  const xs = Array.from({ length: 8 }, (_, k) => {
    const x = new Float32Array(1000 + k * 37);
    for (let i = 0; i < x.length; i++) x[i] = value(world.rank, i + k);
    return x;
  });
  await Promise.all(xs.map((x, k) => (k % 2 ? world.allReduce(x, 'avg') : world.allReduce(x))));
  xs.forEach((x, k) => expectEqual(x, (i) => sumOver(world.size, (r) => value(r, i + k)) / (k % 2 ? world.size : 1), `queued allReduce ${k}`));
  // waitAll: the results are in place synchronously, before the promises settle
  const ys = xs.map((x, k) => {
    const y = new Float32Array(x.length);
    for (let i = 0; i < y.length; i++) y[i] = value(world.rank, i + k);
    return y;
  });
  const settled = ys.map((y) => world.allReduce(y));
  world.waitAll();
  ys.forEach((y, k) => expectEqual(y, (i) => sumOver(world.size, (r) => value(r, i + k)), `allReduce before waitAll ${k}`));
  await Promise.all(settled);
}

async function groups(world: Communicator): Promise<void> {
  const { rank, size } = world;
  const half = await world.split(rank % 2);
  if (!half) throw new Error('split gave no communicator');
  const x = new Float32Array([rank, 1]);
  const y = new Float32Array([rank]);
  // In flight on two communicators at once (their own threads, or one shared with SERIALIZED).
  await Promise.all([half.allReduce(x), world.allReduce(y)]);
  expectEqual(y, () => sumOver(size, (r) => r), 'world allReduce beside split');
  expectEqual(x, (i) => (i === 0 ? sumOver(size, (r) => (r % 2 === rank % 2 ? r : 0)) : Math.ceil((size - (rank % 2)) / 2)), 'split allReduce');
  await half.free();
  if (size === 4) {
    // dp 2 x tp 2: the tp group of rank r is [2 * dp, 2 * dp + 1], the dp group [tp, tp + 2].
    const grid = await processGrid(world, { dp: 2, pp: 1, tp: 2 });
    // Both in flight at once, each on its own communicator's thread.
    const tpRanks = new Float32Array(2);
    const dpRanks = new Float32Array(2);
    await Promise.all([grid.tp.allGather(new Float32Array([rank]), tpRanks), grid.dp.allGather(new Float32Array([rank]), dpRanks)]);
    expectEqual(tpRanks, (i) => 2 * grid.coords.dp + i, 'grid tp group');
    expectEqual(dpRanks, (i) => grid.coords.tp + 2 * i, 'grid dp group');
  }
}

/**
 * argv: the cases to run, each SIZE:WHERE (default: sizes 1, 3 and 1M+1 on every kind of array),
 * and --chunked to run the chunked paths too.
 */
async function main(argv: string[]): Promise<void> {
  const group = initProcessGroup();
  const { world } = group;
  const cases = argv.filter((a) => a.includes(':')).map((a) => a.split(':') as [string, Where]);
  if (cases.length === 0) for (const n of ['1', '3', '1000001']) for (const w of ['plain', 'offset', 'wasm'] as const) cases.push([n, w]);
  const t0 = performance.now();
  for (const [n, where] of cases) await collectives(world, Number(n), where);
  await queued(world);
  await groups(world);
  if (argv.includes('--chunked')) {
    // Counts above 2^31-1 are cut into chunks; small chunks take the same code path.
    loadAddon().setChunkElements(2);
    await collectives(world, 3, 'offset');
    loadAddon().setChunkElements(100_003);
    await collectives(world, 1_000_001, 'offset');
    loadAddon().setChunkElements(2 ** 31 - 1);
  }
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(`rank ${world.rank}: ${checks} checks passed on ${world.size} ranks in ${seconds} s (${group.library}, MPI_THREAD_${group.threadLevel.toUpperCase()}, btl ${process.env.OMPI_MCA_btl ?? 'default'})`);
}

if (inMpiJob()) await main(process.argv.slice(2));
