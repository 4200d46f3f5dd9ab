import { defineCommand } from '../args.js';
import { formatTable } from '../../util/format.js';
import { evolveFlappy } from '../../chapters/neat/flappy/run.js';

/**
 * `gradpath bench neat`: wall time of the same flappy-bird evolution evaluated serially and over
 * worker threads, and a check that both give identical generations (they must).
 */
export const command = defineCommand({
  name: 'neat',
  summary: 'NEAT: serial vs worker-thread evaluation of the same flappy-bird run (identical results)',
  options: {
    generations: { type: 'int', default: 20, min: 1, help: 'Generations to evolve' },
    seed: { type: 'int', default: 1, help: 'Seed' },
    workers: { type: 'int', default: 2, min: 2, help: 'Worker threads for the parallel run' },
    json: { type: 'boolean', help: 'Print a JSON summary as the last line' },
  },
  async run(opts) {
    const base = { generations: opts.generations, population: 150, seed: opts.seed };
    const serial = await evolveFlappy(base);
    const parallel = await evolveFlappy({ ...base, workers: opts.workers });
    const identical = JSON.stringify(serial.result.generations) === JSON.stringify(parallel.result.generations);
    const evals = serial.result.generations.at(-1)!.evaluations;
    console.log(formatTable(
      ['evaluation', 'seconds', 'evaluations/s', 'best pipes'],
      [
        ['serial', serial.seconds, evals / serial.seconds, serial.best_pipes],
        [`${opts.workers} workers`, parallel.seconds, evals / parallel.seconds, parallel.best_pipes],
      ],
    ));
    console.log(`speed-up ${(serial.seconds / parallel.seconds).toFixed(2)}x; results identical: ${identical}`);
    if (opts.json) console.log(JSON.stringify({ serial_seconds: serial.seconds, worker_seconds: parallel.seconds, workers: opts.workers, identical }));
    return identical ? 0 : 1;
  },
});
