import { defineCommand } from '../args.js';
import { commonFlags } from '../flags.js';
import { Progress } from '../../io/progress.js';
import { formatTable } from '../../util/format.js';
import { summariseRuns, type BenchmarkRun } from '../../chapters/neat/tasks/benchmark.js';
import { BOOLEAN_TASKS, runBoolean, type BooleanTaskName } from '../../chapters/neat/tasks/boolean.js';
import { XOR_PAPER } from '../../chapters/neat/tasks/xor.js';

/** Many seeded runs of one boolean task, a table of the outcome, and the --json summary (for `neat xor` and `neat boolean`). */
async function runMany(task: BooleanTaskName, opts: { runs: number; seed: number; maxGenerations: number; targetSpecies?: number; json: boolean }): Promise<void> {
  const start = Date.now();
  const config = opts.targetSpecies === undefined ? {} : { targetSpecies: opts.targetSpecies };
  const progress = new Progress({ total: opts.runs, label: `${task} runs`, plainEverySeconds: 5 });
  const runs: BenchmarkRun[] = [];
  for (let i = 0; i < opts.runs; i++) {
    runs.push((await runBoolean(opts.seed + i, task, config, opts.maxGenerations)).run);
    progress.update(i + 1, { solved: runs.filter((r) => r.solved).length });
  }
  progress.done();
  const s = summariseRuns(runs, Number(((Date.now() - start) / 1000).toFixed(2)));
  const rows = [[`ours (${s.runs} runs)`, `${(s.success_rate * 100).toFixed(0)}%`, s.mean_generations.toFixed(1), s.mean_evaluations.toFixed(0), s.mean_hidden_nodes.toFixed(2)]];
  if (task === 'xor') rows.push(['paper (100 runs)', '100%', String(XOR_PAPER.meanGenerations), String(XOR_PAPER.meanEvaluations), String(XOR_PAPER.meanHiddenNodes)]);
  console.log(formatTable([task, 'solved', 'mean generations', 'mean evaluations', 'mean hidden nodes'], rows));
  console.log(`(means over solved runs; ${s.seconds}s)`);
  if (opts.json) console.log(JSON.stringify({ task, ...s }));
}

const runFlags = {
  runs: { type: 'int', default: 100, min: 1, help: 'Independent runs (seeds seed, seed+1, ...)' },
  seed: { type: 'int', default: 1, help: 'Seed of the first run' },
  'target-species': { type: 'int', min: 0, help: 'Species count the compatibility threshold steers towards (default 20; 0 keeps the threshold fixed)' },
  json: commonFlags.json,
} as const;

export const xorCommand = defineCommand({
  name: 'xor',
  summary: "The paper's XOR benchmark: many runs from no hidden nodes, compared with Stanley & Miikkulainen (2002)",
  description: `Each run starts from inputs wired straight to the output and must discover a hidden node.
Fitness is (4 - sum |error|)^2; a run is solved when all four outputs round correctly.
Evaluations are counted up to the first solving network, generations 1-based, as in the paper.

Example: gradpath neat xor --runs 100 --seed 1 --json`,
  options: { ...runFlags, 'max-generations': { type: 'int', default: 200, min: 1, help: 'Give up on a run after this many generations' } },
  run: (opts) => runMany('xor', opts),
});

export const booleanCommand = defineCommand({
  name: 'boolean',
  summary: 'Harder boolean functions than XOR (parity, multiplexer): many runs, success rate and evaluations',
  description: `The truth-table fitness of XOR on ${BOOLEAN_TASKS.join(', ')}: parity3 is true when an odd number of
its three inputs is; multiplexer3 and multiplexer6 pass the data input their address bits select.
These are where a search gets stuck at a local optimum: see docs/neat.md ("Stuck runs").

Example: gradpath neat boolean --task parity3 --runs 30 --max-generations 500 --json`,
  options: {
    task: { type: 'choice', choices: BOOLEAN_TASKS, default: 'parity3', help: 'The boolean function to evolve' },
    ...runFlags,
    runs: { ...runFlags.runs, default: 30 },
    'max-generations': { type: 'int', default: 500, min: 1, help: 'Give up on a run after this many generations' },
  },
  run: (opts) => runMany(opts.task as BooleanTaskName, opts),
});
