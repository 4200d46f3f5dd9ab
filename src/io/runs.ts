import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { GradpathError } from '../util/errors.js';
import type { MetricEvent } from './rundir.js';

/**
 * Reading run directories back without changing them (RunDir would create a missing one):
 * finding them under a folder, parsing config.json and metrics.jsonl with errors that name the
 * file and line, and summarising each run (best and last loss per split, steps, time).
 */

export interface LoggedEvent extends MetricEvent {
  elapsed?: number;
  time?: string;
}

export interface RunRecord {
  /** The directory, relative to where the search started ('.' for that folder itself). */
  name: string;
  path: string;
  config: Record<string, unknown>;
  events: LoggedEvent[];
}

export interface SplitSummary {
  best: number;
  bestStep: number;
  last: number;
  lastStep: number;
  evaluations: number;
}

export interface RunSummary {
  name: string;
  kind: string;
  settings: string;
  steps: number;
  loss: Record<string, SplitSummary>;
  bestFitness: number | null;
  elapsed: number | null;
  started: string | null;
}

/** A run directory is one with a metrics.jsonl. */
export function isRunDir(path: string): boolean {
  return existsSync(join(path, 'metrics.jsonl'));
}

/** Reads one run directory; a missing one, or one without metrics.jsonl, is a one-line error. */
export function readRun(path: string, name = path): RunRecord {
  if (!existsSync(path)) throw new GradpathError(`${path} does not exist; give a run directory (one with metrics.jsonl), e.g. runs/micrograd`);
  if (!statSync(path).isDirectory()) throw new GradpathError(`${path} is not a directory; give a run directory (one with metrics.jsonl)`);
  if (!isRunDir(path)) throw new GradpathError(`${path} is not a run directory: it has no metrics.jsonl (list the runs with \`gradpath runs DIR\`)`);
  const configPath = join(path, 'config.json');
  let config: Record<string, unknown> = {};
  if (existsSync(configPath)) {
    try {
      config = JSON.parse(readFileSync(configPath, 'utf8'));
    } catch (err) {
      throw new GradpathError(`${configPath} is not valid JSON (${(err as Error).message}); fix or remove it`);
    }
  }
  return { name, path, config, events: readEvents(join(path, 'metrics.jsonl')) };
}

/** metrics.jsonl as events; a broken line is an error naming the file and the line. */
export function readEvents(file: string): LoggedEvent[] {
  const events: LoggedEvent[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let e: LoggedEvent;
    try {
      e = JSON.parse(line);
    } catch {
      // The last line of a run killed mid-write may be cut short; anything else is damage.
      throw new GradpathError(`${file}:${i + 1} is not a JSON line; fix or delete that line`);
    }
    if (typeof e !== 'object' || e === null || typeof e.step !== 'number') throw new GradpathError(`${file}:${i + 1} has no numeric "step"; every metrics event needs one`);
    events.push(e);
  });
  return events;
}

/** Every run directory under root (root itself included), depth first, at most `depth` levels down. */
export function findRuns(root: string, depth = 4): RunRecord[] {
  if (!existsSync(root)) throw new GradpathError(`${root} does not exist; give the folder that holds your run directories (default ./runs)`);
  if (!statSync(root).isDirectory()) throw new GradpathError(`${root} is not a directory; give the folder that holds your run directories`);
  const found: RunRecord[] = [];
  const walk = (dir: string, level: number) => {
    if (isRunDir(dir)) found.push(readRun(dir, relative(root, dir) || '.'));
    if (level >= depth) return;
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules') walk(join(dir, entry.name), level + 1);
    }
  };
  walk(root, 0);
  return found;
}

/** Settings worth a glance, in this order, when config.json has them. */
const KEY_SETTINGS = ['preset', 'type', 'model', 'task', 'op', 'p', 'engine', 'seed', 'steps', 'epochs', 'max_iters', 'maxIters', 'iterations', 'generations', 'lr', 'batch_size', 'batchSize', 'weightDecay', 'weight_decay'];

export function summarise(run: RunRecord, maxSettings = 4): RunSummary {
  const c = run.config;
  const settings = KEY_SETTINGS.filter((k) => ['string', 'number', 'boolean'].includes(typeof c[k]) && String(c[k]).length <= 24)
    .slice(0, maxSettings)
    .map((k) => `${k}=${c[k]}`)
    .join(' ');
  const loss: Record<string, SplitSummary> = {};
  let bestFitness: number | null = null;
  for (const e of run.events) {
    if (typeof e.best_fitness === 'number') bestFitness = Math.max(bestFitness ?? -Infinity, e.best_fitness);
    if (typeof e.loss !== 'number' || !Number.isFinite(e.loss)) continue;
    const split = e.split ?? 'train';
    const s = (loss[split] ??= { best: Infinity, bestStep: 0, last: NaN, lastStep: 0, evaluations: 0 });
    if (e.loss < s.best) [s.best, s.bestStep] = [e.loss, e.step];
    if (e.step >= s.lastStep) [s.last, s.lastStep] = [e.loss, e.step];
    s.evaluations++;
  }
  const elapsed = run.events.map((e) => e.elapsed).filter((t): t is number => typeof t === 'number');
  const times = run.events.map((e) => e.time).filter((t): t is string => typeof t === 'string');
  return {
    name: run.name,
    kind: String(c.kind ?? c.command ?? '?'),
    settings,
    steps: run.events.reduce((m, e) => Math.max(m, e.step), 0),
    loss,
    bestFitness,
    elapsed: elapsed.length ? Math.max(...elapsed) : null,
    started: times[0] ?? (existsSync(join(run.path, 'metrics.jsonl')) ? statSync(join(run.path, 'metrics.jsonl')).mtime.toISOString() : null),
  };
}
