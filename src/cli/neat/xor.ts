import { defineCommand } from '../args.js';
import { commonFlags } from '../flags.js';
import { Progress } from '../../io/progress.js';
import { formatTable } from '../../util/format.js';
import { summariseRuns, type BenchmarkRun } from '../../chapters/neat/tasks/benchmark.js';
import { runXor, XOR_PAPER } from '../../chapters/neat/tasks/xor.js';

export const xorCommand = defineCommand({
  name: 'xor',
  summary: "The paper's XOR benchmark: many runs from no hidden nodes, compared with Stanley & Miikkulainen (2002)",
  description: `Each run starts from inputs wired straight to the output and must discover a hidden node.
Fitness is (4 - sum |error|)^2; a run is solved when all four outputs round correctly.
Evaluations are counted up to the first solving network, generations 1-based, as in the paper.

Example: gradpath neat xor --runs 100 --seed 1 --json`,
  options: {
    runs: { type: 'int', default: 100, min: 1, help: 'Independent runs (seeds seed, seed+1, ...)' },
    seed: { type: 'int', default: 1, help: 'Seed of the first run' },
    'max-generations': { type: 'int', default: 200, min: 1, help: 'Give up on a run after this many generations' },
    json: commonFlags.json,
  },
  async run(opts) {
    const start = Date.now();
    const progress = new Progress({ total: opts.runs, label: 'xor runs', plainEverySeconds: 5 });
    const runs: BenchmarkRun[] = [];
    for (let i = 0; i < opts.runs; i++) {
      runs.push((await runXor(opts.seed + i, {}, opts.maxGenerations)).run);
      progress.update(i + 1, { solved: runs.filter((r) => r.solved).length });
    }
    progress.done();
    const s = summariseRuns(runs, Number(((Date.now() - start) / 1000).toFixed(2)));
    console.log(formatTable(
      ['XOR', 'solved', 'mean generations', 'mean evaluations', 'mean hidden nodes'],
      [
        [`ours (${s.runs} runs)`, `${(s.success_rate * 100).toFixed(0)}%`, s.mean_generations.toFixed(1), s.mean_evaluations.toFixed(0), s.mean_hidden_nodes.toFixed(2)],
        ['paper (100 runs)', '100%', String(XOR_PAPER.meanGenerations), String(XOR_PAPER.meanEvaluations), String(XOR_PAPER.meanHiddenNodes)],
      ],
    ));
    console.log(`(means over solved runs; ${s.seconds}s)`);
    if (opts.json) console.log(JSON.stringify(s));
  },
});
