import { defineCommand } from '../args.js';
import { formatTable } from '../../util/format.js';
import { runPole } from '../../chapters/neat/tasks/pole-run.js';

/**
 * `gradpath bench neat`: wall time of the same NEAT run evaluated serially and over worker
 * threads, and a check that both give identical generations (they must). The task is the double
 * pole without velocities (population 1,000, every network simulated for up to 1,000 steps):
 * evaluation dominates there, which is when threads pay for their start-up and messages.
 */
export const command = defineCommand({
  name: 'neat',
  summary: 'NEAT: serial vs worker-thread evaluation of the same run (identical results required)',
  options: {
    generations: { type: 'int', default: 15, min: 1, help: 'Generations to evolve' },
    seed: { type: 'int', default: 1, help: 'Seed' },
    workers: { type: 'int', default: 2, min: 2, help: 'Worker threads for the parallel run' },
    json: { type: 'boolean', help: 'Print a JSON summary as the last line' },
  },
  async run(opts) {
    const task = { poles: 2, velocities: false } as const;
    const timed = async (workers: number) => {
      const start = Date.now();
      const { result } = await runPole(opts.seed, task, opts.generations, workers);
      return { result, seconds: (Date.now() - start) / 1000 };
    };
    const serial = await timed(0);
    const parallel = await timed(opts.workers);
    const identical = JSON.stringify(serial.result.generations) === JSON.stringify(parallel.result.generations);
    const evals = serial.result.generations.at(-1)!.evaluations;
    console.log(formatTable(
      ['evaluation', 'seconds', 'evaluations/s'],
      [
        ['serial', serial.seconds, evals / serial.seconds],
        [`${opts.workers} workers`, parallel.seconds, evals / parallel.seconds],
      ],
    ));
    console.log(`speed-up ${(serial.seconds / parallel.seconds).toFixed(2)}x; results identical: ${identical}`);
    if (opts.json) console.log(JSON.stringify({ serial_seconds: serial.seconds, worker_seconds: parallel.seconds, workers: opts.workers, identical }));
    return identical ? 0 : 1;
  },
});
