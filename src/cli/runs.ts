import { basename, resolve } from 'node:path';
import { defineCommand } from './args.js';
import { writeFileAtomic } from '../io/atomic.js';
import { curvesSvg } from '../io/curves.js';
import { findRuns, readRun, summarise, type RunSummary } from '../io/runs.js';
import { GradpathError } from '../util/errors.js';
import { formatDuration, formatNumber, formatTable } from '../util/format.js';

const SPLITS = ['batch', 'train', 'val', 'test'];

export const command = defineCommand({
  name: 'runs',
  summary: 'List the run directories under a folder (settings, steps, best/last loss, time), or draw several runs\' curves on one picture',
  usage: 'gradpath runs [DIR] [--json]\n       gradpath runs compare RUN_DIR RUN_DIR ... [-o FILE.svg]',
  description: `
A run directory is one with a metrics.jsonl (every training command writes one, with config.json
beside it). The table has one row per run found under DIR (default ./runs, nested folders
included): its kind, key settings, last step, the best and last loss of each split (batch =
training batches, train/val/test = evaluations), wall time and start date. --json prints the
same as one JSON array.

\`compare\` draws the loss curves of the runs given (and accuracy or fitness, where logged) on
one SVG: colour tells the runs apart, the dash the split.

Examples:
  gradpath runs
  gradpath runs runs/grokking --json
  gradpath runs compare runs/micrograd runs/moons3 -o moons.svg`,
  variadic: true, // DIR, or compare RUN_DIR RUN_DIR ...
  options: {
    json: { type: 'boolean', help: 'Print the table as JSON (one array) instead' },
    out: { type: 'string', short: 'o', aliases: ['output'], path: 'out-file', default: 'compare.svg', placeholder: 'FILE.svg', help: 'compare: where to write the picture' },
  },
  run(opts, positionals) {
    try {
      return listOrCompare(opts, positionals);
    } catch (err) {
      // io/runs's messages name the directory; say which command met it.
      if (err instanceof GradpathError && !err.message.startsWith('gradpath')) throw new GradpathError(`gradpath runs: ${err.message}`);
      throw err;
    }
  },
});

function listOrCompare(opts: { json: boolean; out: string }, positionals: string[]): number {
  if (positionals[0] === 'compare') return compare(positionals.slice(1), opts.out);
  if (positionals.length > 1) throw new GradpathError(`gradpath runs: one folder at a time (got ${positionals.length}); to draw runs together use \`gradpath runs compare ${positionals.join(' ')}\``);
  const root = positionals[0] ?? 'runs';
  const runs = findRuns(root).map((r) => summarise(r));
  if (runs.length === 0) throw new GradpathError(`gradpath runs: no run directories under ${root} (a run directory has a metrics.jsonl; train something first, e.g. \`gradpath micrograd\`)`);
  if (opts.json) {
    console.log(JSON.stringify(runs));
    return 0;
  }
  console.log(table(runs));
  return 0;
}

function table(runs: RunSummary[]): string {
  const splits = SPLITS.filter((s) => runs.some((r) => r.loss[s]));
  const extra = Object.keys(Object.assign({}, ...runs.map((r) => r.loss))).filter((s) => !SPLITS.includes(s));
  const shown = [...splits, ...extra];
  const fitness = runs.some((r) => r.bestFitness !== null);
  const header = ['run', 'kind', 'settings', 'steps', ...shown.map((s) => `${s} loss best / last`), ...(fitness ? ['best fitness'] : []), 'time', 'started (UTC)'];
  const rows = runs.map((r) => [
    r.name,
    r.kind,
    r.settings,
    String(r.steps),
    ...shown.map((s) => (r.loss[s] ? `${formatNumber(r.loss[s].best)} / ${formatNumber(r.loss[s].last)}` : '')),
    ...(fitness ? [r.bestFitness === null ? '' : formatNumber(r.bestFitness)] : []),
    r.elapsed === null ? '' : formatDuration(r.elapsed),
    r.started ? r.started.slice(0, 16).replace('T', ' ') : '',
  ]);
  return formatTable(header, rows);
}

function compare(dirs: string[], out: string): number {
  if (dirs.length === 0) throw new GradpathError('gradpath runs compare: give the run directories to draw, e.g. `gradpath runs compare runs/a runs/b -o ab.svg`');
  const runs = dirs.map((d) => readRun(d));
  // Short labels: the directory names, unless two runs share one.
  const names = dirs.map((d) => basename(resolve(d)));
  const labels = new Set(names).size === names.length ? names : dirs;
  const svg = curvesSvg(runs.map((r, i) => ({ label: labels[i], events: r.events })), `runs compared: ${labels.join(', ')}`);
  writeFileAtomic(out, svg);
  console.log(`wrote ${out} (${runs.length} runs)`);
  return 0;
}
