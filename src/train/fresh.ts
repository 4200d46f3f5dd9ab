import { rmSync, statSync } from 'node:fs';
import { GradpathError } from '../util/errors.js';
import type { RunDir } from '../io/rundir.js';
import { INDEX_FILE, SHARDS_DIR } from '../io/sharded.js';

/** What makes a run directory hold a run: a resumable checkpoint, or a log with events in it. */
export function holdsRun(run: RunDir): boolean {
  if (run.exists('latest.safetensors') || run.exists(INDEX_FILE)) return true;
  return run.exists('metrics.jsonl') && statSync(run.path('metrics.jsonl')).size > 0;
}

/**
 * Guards a finished (or interrupted) run against being overwritten by accident: a new run in a
 * directory that holds one is refused, naming --resume and --force. With `resume` nothing is
 * checked here (the loop loads latest.safetensors instead). Chapters call this before they load
 * data or write anything into the directory, so a refusal is quick and leaves it untouched.
 */
export function checkRunDir(run: RunDir, o: { resume?: boolean; force?: boolean }): void {
  if (o.resume || o.force || !holdsRun(run)) return;
  throw new GradpathError(`${run.dir} already holds a run; continue it with --resume, or start over (replacing it) with --force`);
}

/**
 * checkRunDir, then (with `force`) removes the old run's log and checkpoints: its best model must
 * not pass for the new run's. The loop calls this when a new run really starts.
 */
export function claimRunDir(run: RunDir, o: { resume?: boolean; force?: boolean }): void {
  checkRunDir(run, o);
  if (o.resume) return;
  for (const name of ['latest.safetensors', 'best.safetensors', 'metrics.jsonl', INDEX_FILE, SHARDS_DIR]) rmSync(run.path(name), { recursive: true, force: true });
}
