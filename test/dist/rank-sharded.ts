/**
 * A tiny GPT trained data-parallel with sharded checkpoints and step timings: run on every rank
 * by sharded.test.ts under `gradpath launch` (2 ranks), and imported by the test to continue the
 * same run on one process. Gradients are averaged with a plain all-reduce per parameter in
 * afterBackward (the sharded format must not depend on how DDP is done), each wait recorded on
 * the step timeline. The global batch is 4 rows; rank r of n takes rows r, r + n, ... so the
 * averaged gradient is the whole batch's. Outside an MPI job it does nothing by itself.
 *
 * Environment: GRADPATH_TEST_DIR (run directory), GRADPATH_TEST_STEPS (steps in all),
 * GRADPATH_TEST_KILL_AT (rank 1 kills itself when the save of that step begins), GRADPATH_TEST_RESUME=1
 * (continue the run in the directory).
 */
import { GPT } from '../../src/models/gpt.js';
import { AdamW } from '../../src/optim/adam.js';
import { tensor } from '../../src/engine/ops/create.js';
import { Generator } from '../../src/util/random.js';
import { RunDir } from '../../src/io/rundir.js';
import { trainLoop, type LoopResult } from '../../src/train/loop.js';
import { replicaState } from '../../src/dist/checkpoint.js';
import { stepTimeline } from '../../src/dist/timeline.js';
import { distributedRun } from '../../src/dist/run-hooks.js';
import { initProcessGroup, inMpiJob } from '../../src/dist/process-group.js';
import type { Communicator } from '../../src/dist/communicator.js';

export const CONFIG = { vocabSize: 65, blockSize: 16, nLayer: 2, nHead: 4, nEmbd: 32 };
const ROWS = 4;

/** Row `row` of step `step`'s batch: inputs and targets, the same on every rank and process. */
function rows(step: number, which: number[], k: number) {
  const T = CONFIG.blockSize;
  const data = new Int32Array(which.length * T);
  which.forEach((row, j) => {
    for (let t = 0; t < T; t++) data[j * T + t] = (row * 11 + t * 7 + step * 13 + k) % CONFIG.vocabSize;
  });
  return tensor(data, [which.length, T]);
}

export async function shardedJob(o: { dir: string; maxSteps: number; resume: boolean; world: Communicator | null; killAt?: number }): Promise<{ model: GPT; result: LoopResult }> {
  const rank = o.world?.rank ?? 0, size = o.world?.size ?? 1;
  const model = new GPT(CONFIG, new Generator(7));
  const optimizer = new AdamW(model.parameters(), { lr: 1e-2 });
  const mine = Array.from({ length: ROWS }, (_, i) => i).filter((i) => i % size === rank);
  const tl = stepTimeline();
  const base = replicaState(model, optimizer, rank === 0); // identical replicas: rank 0 writes them
  let step = 0;
  const state = {
    ...base,
    pieces: () => {
      if (rank === 1 && o.killAt === step) process.kill(process.pid, 'SIGKILL');
      return base.pieces();
    },
  };
  const world = o.world;
  const result = await trainLoop({
    model, optimizer, maxSteps: o.maxSteps, resume: o.resume, kind: 'tiny-gpt', config: CONFIG, configKeys: ['nLayer', 'nEmbd'],
    run: rank === 0 ? new RunDir(o.dir) : undefined, // only rank 0 writes metrics and config
    checkpointEvery: 1, logEvery: 1,
    loss: ({ step: s }) => model.forward(rows(s, mine, 0), rows(s, mine, 1)).loss!,
    afterBackward: world
      ? async () => {
          for (const p of model.parameters()) await tl.wait('comm', 'grad all-reduce', world.allReduce(p.grad!.data as Float32Array, 'avg'));
        }
      : undefined,
    onStep: (info) => (step = info.step),
    ...(world && distributedRun({ world, dir: o.dir, state, layout: { dp: size, tp: 1, pp: 1, zero: 0 }, title: `tiny GPT, dp ${size}` })),
  });
  return { model, result };
}

if (inMpiJob()) {
  const { world } = initProcessGroup();
  const killAt = process.env.GRADPATH_TEST_KILL_AT ? Number(process.env.GRADPATH_TEST_KILL_AT) : undefined;
  const { result } = await shardedJob({ dir: process.env.GRADPATH_TEST_DIR!, maxSteps: Number(process.env.GRADPATH_TEST_STEPS ?? 4), resume: process.env.GRADPATH_TEST_RESUME === '1', world, killAt });
  if (result.interrupted) process.exitCode = 130; // saved and stopped by Ctrl-C, as the training commands exit
  if (world.rank === 0) console.log(`stopped at step ${result.steps}${result.interrupted ? ' (interrupted)' : ''}`);
}
