import { defineCommand } from '../args.js';
import { commonFlags } from '../flags.js';
import { Progress } from '../../io/progress.js';
import { GradpathError } from '../../util/errors.js';
import { formatTable } from '../../util/format.js';
import { summariseRuns, type BenchmarkRun } from '../../chapters/neat/tasks/benchmark.js';
import { POLE_PAPER, poleTaskName, runPole } from '../../chapters/neat/tasks/pole-run.js';
import type { PoleTask } from '../../chapters/neat/tasks/pole.js';

export const poleCommand = defineCommand({
  name: 'pole',
  summary: 'Cart-pole balancing, single or double pole, with or without velocity inputs (the paper\'s benchmark)',
  description: `Wieland's cart with one pole (1 m) or two (1 m and 0.1 m), a decision every 0.02 s (two RK4 steps); a run is
solved when a network balances for 100,000 steps. With velocities the fitness is steps balanced;
without, Gruau's anti-jiggle fitness and recurrent networks.

Examples:
  gradpath neat pole                       single pole, with velocities
  gradpath neat pole --double --runs 50    the paper's double-pole benchmark (3,600 evaluations)
  gradpath neat pole --double --no-velocities --runs 5`,
  options: {
    double: { type: 'boolean', help: 'Two poles on the cart (else one)' },
    velocities: { type: 'boolean', help: 'Give the network the velocities (the default)' },
    'no-velocities': { type: 'boolean', help: 'Positions only: the network must infer velocities (recurrent)' },
    runs: { type: 'int', default: 50, min: 1, help: 'Independent runs' },
    seed: { type: 'int', default: 1, help: 'Seed of the first run' },
    'max-generations': { type: 'int', default: 200, min: 1, help: 'Give up on a run after this many generations' },
    workers: { type: 'int', default: 0, min: 0, help: 'Worker threads for evaluation (same results as 0)' },
    json: commonFlags.json,
  },
  async run(opts) {
    if (opts.velocities && opts.noVelocities) throw new GradpathError('gradpath neat pole: give --velocities or --no-velocities, not both');
    const task: PoleTask = { poles: opts.double ? 2 : 1, velocities: !opts.noVelocities };
    const name = poleTaskName(task);
    const start = Date.now();
    const progress = new Progress({ total: opts.runs, label: `${name} runs`, plainEverySeconds: 5 });
    const runs: BenchmarkRun[] = [];
    for (let i = 0; i < opts.runs; i++) {
      runs.push((await runPole(opts.seed + i, task, opts.maxGenerations, opts.workers)).run);
      progress.update(i + 1, { solved: runs.filter((r) => r.solved).length });
    }
    progress.done();
    const s = summariseRuns(runs, Number(((Date.now() - start) / 1000).toFixed(2)));
    const paper = POLE_PAPER[name];
    console.log(formatTable(
      [`pole: ${name}`, 'solved', 'mean generations', 'mean evaluations', 'mean hidden nodes'],
      [
        [`ours (${s.runs} runs)`, `${(s.success_rate * 100).toFixed(0)}%`, s.mean_generations.toFixed(1), s.mean_evaluations.toFixed(0), s.mean_hidden_nodes.toFixed(2)],
        ['paper', paper ? '100%' : '-', '-', paper ? String(paper.evaluations) : '(not in the paper)', '-'],
      ],
    ));
    console.log(`(means over solved runs; ${s.seconds}s)`);
    if (opts.json) console.log(JSON.stringify(s));
  },
});
