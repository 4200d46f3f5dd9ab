// Success rate and mean evaluations of NEAT over many seeds, for one task and one build of
// gradpath (so main's build and this branch's can be compared on the same tasks). See README.md.
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { appendFileSync } from 'node:fs';

const { values: o } = parseArgs({
  options: {
    build: { type: 'string', default: new URL('../../dist', import.meta.url).pathname }, // the dist/ whose NEAT is measured
    task: { type: 'string' }, // xor | parity3 | parity4 | multiplexer3 | multiplexer6 | single | double | double-nv
    runs: { type: 'string', default: '30' },
    seed: { type: 'string', default: '1' },
    'max-generations': { type: 'string' },
    workers: { type: 'string', default: '0' },
    config: { type: 'string', default: '{}' }, // JSON: NeatConfig settings over the task's own
    label: { type: 'string', default: '' },
    out: { type: 'string' }, // append one JSON line per run here
  },
});
const POLES = { single: { poles: 1, velocities: true }, double: { poles: 2, velocities: true }, 'double-nv': { poles: 2, velocities: false } };
const BOOLEAN = { xor: 2, parity3: 3, parity4: 4, multiplexer3: 3, multiplexer6: 6 };
if (!(o.task in POLES) && !(o.task in BOOLEAN)) {
  console.error(`measure: --task must be one of ${[...Object.keys(BOOLEAN), ...Object.keys(POLES)].join(', ')}`);
  process.exit(2);
}
const at = (dir, file) => import(pathToFileURL(resolve(dir, 'src/chapters/neat', file)).href);
const build = resolve(o.build);
const { benchmarkRun, summariseRuns } = await at(build, 'tasks/benchmark.js');
// The truth tables come from this checkout's dist (main has no parity or multiplexer); the
// fitness is a pure function of the network, so it scores any build's networks alike.
const here = new URL('../../dist/', import.meta.url).pathname;
const { booleanFitness } = await at(here, 'tasks/boolean.js');

const runs = [];
const start = Date.now();
for (let i = 0; i < Number(o.runs); i++) {
  const seed = Number(o.seed) + i;
  let run;
  const extra = JSON.parse(o.config);
  if (o.task in POLES) {
    // As runPole does, plus the --config settings.
    const task = POLES[o.task];
    const { poleConfig } = await at(build, 'tasks/pole-run.js');
    const { poleFitness, poleInputCount } = await at(build, 'tasks/pole.js');
    const config = { ...poleConfig(task), ...extra, inputs: poleInputCount(task), outputs: 1 };
    const workers = Number(o.workers);
    const fitnessModule = { module: pathToFileURL(resolve(build, 'src/chapters/neat/tasks/pole.js')).href, exportName: 'poleFitness' };
    const evaluation = workers > 1 ? { fitnessModule, workers } : { fitness: poleFitness };
    run = (await benchmarkRun(seed, { config, ...evaluation, context: task, maxGenerations: Number(o['max-generations'] ?? 200) })).run;
  } else {
    const config = { ...extra, inputs: BOOLEAN[o.task], outputs: 1 };
    const maxGenerations = Number(o['max-generations'] ?? (o.task === 'xor' ? 200 : 500));
    run = (await benchmarkRun(seed, { config, fitness: booleanFitness, context: o.task, maxGenerations })).run;
  }
  runs.push(run);
  if (o.out) appendFileSync(o.out, JSON.stringify({ label: o.label, task: o.task, ...run }) + '\n');
}
const s = summariseRuns(runs, Number(((Date.now() - start) / 1000).toFixed(1)));
const solved = runs.filter((r) => r.solved).length;
console.log(JSON.stringify({ label: o.label, task: o.task, seeds: `${o.seed}-${Number(o.seed) + runs.length - 1}`, solved: `${solved}/${runs.length}`, ...s }));
