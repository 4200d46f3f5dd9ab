import { loadavg } from 'node:os';
import { defineCommand } from '../args.js';
import { trainMoons } from '../../chapters/micrograd/index.js';
import { DEFAULT_SEED } from '../micrograd.js';

/**
 * The documented reference: the original pure-Python micrograd runs this 100-step moons
 * training in 159 s (1.6 s per step). It is not measured here (no Python in this run).
 */
const PYTHON_SECONDS_PER_100_STEPS = 159;

export const command = defineCommand({
  name: 'micrograd',
  summary: "Times the 100-step moons training on micrograd's fast engine, against the chapter's plain engine (same run) and the documented pure-Python figure",
  options: {
    steps: { type: 'int', default: 100, min: 1, help: 'Training steps per run' },
    repeats: { type: 'int', default: 3, min: 1, help: 'Timed runs after the first; their median is reported' },
    'plain-steps': { type: 'int', default: 10, min: 1, help: 'Steps per run of the plain engine, the in-run reference' },
    json: { type: 'boolean', help: 'Print a JSON summary as the last line of stdout' },
  },
  run(opts) {
    // The first run in a fresh process pays for JIT compilation and for growing the heap (the
    // garbage collector learns that these nodes live for a whole step): that is what one
    // `gradpath micrograd` sees, so it is reported too, apart from the steady state.
    const runs: { seconds: number; cpu: number }[] = [];
    let nodes = 0;
    let accuracy = 0;
    for (let r = 0; r <= opts.repeats; r++) {
      const before = process.cpuUsage();
      const result = trainMoons({ steps: opts.steps, seed: DEFAULT_SEED, engine: 'fast' });
      const used = process.cpuUsage(before);
      // CPU time of this process: all its threads, the garbage collector's included.
      runs.push({ seconds: result.seconds, cpu: (used.user + used.system) / 1e6 });
      nodes = result.nodesPerStep;
      accuracy = result.accuracy;
    }
    // The in-run reference: the chapter's plain engine (engine.ts), after the fast runs so that
    // they run exactly as before it existed, and on fewer steps (it is 15-40x slower).
    const plainSteps = Math.min(opts.steps, opts.plainSteps);
    const plainRuns: number[] = [];
    for (let r = 0; r <= opts.repeats; r++) plainRuns.push(trainMoons({ steps: plainSteps, seed: DEFAULT_SEED, engine: 'plain' }).seconds / plainSteps);
    const cold = runs[0];
    const warm = runs.slice(1);
    const seconds = median(warm.map((r) => r.seconds));
    const cpu = median(warm.map((r) => r.cpu));
    const plainPerStep = median(plainRuns.slice(1));
    const fastVsPlain = plainPerStep / (seconds / opts.steps);
    const reference = (PYTHON_SECONDS_PER_100_STEPS * opts.steps) / 100;
    const speedup = reference / seconds;
    const load = loadavg()[0];
    const f3 = (x: number) => x.toFixed(3);
    console.log(`micrograd moons training (fast engine): ${opts.steps} steps, MLP(2, [16, 16, 1]), 100 points, seed ${DEFAULT_SEED}`);
    console.log(`  first run (cold): ${f3(cold.seconds)} s  (${(reference / cold.seconds).toFixed(0)}x; cpu ${f3(cold.cpu)} s)`);
    console.log(`  later runs (s):   ${warm.map((r) => f3(r.seconds)).join(', ')}`);
    console.log(`  seconds:          ${f3(seconds)}  median of ${warm.length}: ${((seconds / opts.steps) * 1000).toFixed(2)} ms/step, ${(opts.steps / seconds).toFixed(1)} steps/s`);
    console.log(`  cpu seconds:      ${f3(cpu)}  (load average ${load.toFixed(2)}: wall time grows when other work shares the cores)`);
    console.log(`  plain engine:     ${(plainPerStep * 1000).toFixed(1)} ms/step, median of ${plainRuns.length - 1} runs of ${plainSteps} steps: the fast engine is ${fastVsPlain.toFixed(1)}x faster (same run)`);
    console.log(`  nodes per step:   ${nodes}`);
    console.log(`  final accuracy:   ${(accuracy * 100).toFixed(0)}%`);
    console.log(`  speedup:          ${speedup.toFixed(0)}x vs pure-Python micrograd's ${reference.toFixed(0)} s (documented reference, not measured in this run)`);
    if (opts.json) {
      console.log(JSON.stringify({
        steps: opts.steps,
        seconds: Number(seconds.toFixed(4)),
        ms_per_step: Number(((seconds / opts.steps) * 1000).toFixed(3)),
        steps_per_s: Number((opts.steps / seconds).toFixed(2)),
        nodes_per_step: nodes,
        speedup_vs_python: Number(speedup.toFixed(1)),
        cold_seconds: Number(cold.seconds.toFixed(4)),
        cold_speedup_vs_python: Number((reference / cold.seconds).toFixed(1)),
        cold_cpu_seconds: Number(cold.cpu.toFixed(4)),
        cpu_seconds: Number(cpu.toFixed(4)),
        plain_ms_per_step: Number((plainPerStep * 1000).toFixed(3)),
        fast_vs_plain: Number(fastVsPlain.toFixed(2)),
        load_average: Number(load.toFixed(2)),
      }));
    }
    return 0;
  },
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
