import { existsSync, readFileSync } from 'node:fs';
import { lineChart, PALETTE, type LinePanel, type Series } from '../util/chart.js';
import type { MetricEvent, RunDir } from './rundir.js';

/**
 * Training curves drawn from metrics.jsonl alone, so every chapter's run directory gets the
 * same picture: loss per split (each training batch as a thin line, evaluations on train / val /
 * test as marked lines), accuracy when `acc` is logged, and best and mean fitness per
 * generation for NEAT's `population` events. `gradpath runs compare` draws several runs with it.
 */

export interface RunCurves {
  label: string;
  events: readonly MetricEvent[];
}

const SPLIT_STYLE: Record<string, { color: string; dash?: string; width: number; markers: boolean; opacity?: number }> = {
  batch: { color: '#8c8c8c', width: 1, markers: false, opacity: 0.8 },
  train: { color: PALETTE[0], width: 1.8, markers: true },
  val: { color: PALETTE[1], width: 1.8, markers: true },
  test: { color: PALETTE[2], width: 1.8, markers: true },
};
/** With several runs, colour tells the run apart and the dash the split. */
const SPLIT_DASH: Record<string, string | undefined> = { batch: '1 2', train: undefined, val: '6 3', test: '2 2' };
const SPLITS = ['batch', 'train', 'val', 'test'];

/** Writes curves.svg into the run directory from its metrics.jsonl; returns the file's path. */
export function writeRunCurves(run: RunDir, title?: string): string {
  const config = run.readConfig();
  const name = title ?? String(config?.kind ?? config?.command ?? 'run');
  return run.writeText('curves.svg', curvesSvg([{ label: name, events: readEventsLeniently(run) }], name));
}

/**
 * The events of metrics.jsonl, skipping lines that do not parse (a line cut short when an
 * earlier run was killed): a picture is no reason to stop a training run.
 */
function readEventsLeniently(run: RunDir): MetricEvent[] {
  if (!existsSync(run.path('metrics.jsonl'))) return [];
  const events: MetricEvent[] = [];
  for (const line of readFileSync(run.path('metrics.jsonl'), 'utf8').split('\n')) {
    try {
      const e = JSON.parse(line);
      if (typeof e?.step === 'number') events.push(e);
    } catch {
      // an empty or broken line
    }
  }
  return events;
}

/** The curves of one or more runs as one SVG: a loss panel, and accuracy and fitness panels where logged. */
export function curvesSvg(runs: readonly RunCurves[], title?: string): string {
  const many = runs.length > 1;
  const panels: LinePanel[] = [];
  const loss = metricSeries(runs, 'loss', many);
  const acc = metricSeries(runs, 'acc', many);
  const fitness = fitnessSeries(runs, many);
  if (loss.length > 0 || (acc.length === 0 && fitness.length === 0)) {
    panels.push({ title: 'loss', x: { label: 'step' }, y: { label: 'loss', log: spansDecades(loss) }, series: loss });
  }
  if (acc.length > 0) panels.push({ title: 'accuracy', x: { label: 'step' }, y: { label: 'accuracy', min: 0, max: 1 }, series: acc });
  if (fitness.length > 0) panels.push({ title: 'fitness', x: { label: 'generation' }, y: { label: 'fitness', log: spansDecades(fitness) }, series: fitness });
  return lineChart(panels, { title });
}

/** One series per (run, split) that logged `metric`. */
function metricSeries(runs: readonly RunCurves[], metric: string, many: boolean): Series[] {
  const out: Series[] = [];
  runs.forEach((run, r) => {
    for (const split of SPLITS) {
      const points = run.events
        .filter((e) => e.split === split && typeof e[metric] === 'number')
        .map((e) => [e.step, e[metric] as number] as [number, number]);
      if (points.length === 0) continue;
      const style = SPLIT_STYLE[split];
      out.push(many
        ? { label: `${run.label} ${split}`, points, color: PALETTE[r % PALETTE.length], dash: SPLIT_DASH[split], width: style.width, markers: style.markers && points.length <= 60, opacity: style.opacity }
        : { label: split === 'batch' ? 'batch (training)' : split, points, ...style, markers: style.markers && points.length <= 60 });
    }
  });
  return out;
}

/** Best and mean fitness per generation (NEAT's population events). */
function fitnessSeries(runs: readonly RunCurves[], many: boolean): Series[] {
  const out: Series[] = [];
  runs.forEach((run, r) => {
    const generations = run.events.filter((e) => e.split === 'population' || (e.split === undefined && typeof e.best_fitness === 'number'));
    const pick = (key: string) => generations.filter((e) => typeof e[key] === 'number').map((e) => [e.step, e[key] as number] as [number, number]);
    const best = pick('best_fitness'), mean = pick('mean_fitness');
    const color = many ? PALETTE[r % PALETTE.length] : undefined;
    if (best.length) out.push({ label: many ? `${run.label} best` : 'best', points: best, color: color ?? PALETTE[0] });
    if (mean.length) out.push({ label: many ? `${run.label} mean` : 'mean', points: mean, color: color ?? PALETTE[3], dash: '6 3' });
  });
  return out;
}

/** A log axis when the values are positive and span more than a decade and a half (losses fall fast, then slowly; fitness can grow 1000x). */
function spansDecades(series: Series[]): boolean {
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  if (ys.length === 0) return false;
  const lo = Math.min(...ys), hi = Math.max(...ys);
  return lo > 0 && hi / lo > 30;
}
