import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from './atomic.js';

/**
 * One event in metrics.jsonl: a step (optimizer steps completed), which split it measured, and
 * any metrics (every field, and a line per chapter: docs/engine.md, "metrics.jsonl").
 * The splits mean the same in every chapter:
 *   batch        the step just taken: the mean loss of its micro-batch(es), with lr and grad_norm
 *   train        an evaluation on the training split (full, or an estimate over fixed batches)
 *   val / test   an evaluation on the validation / test split
 *   population   a NEAT generation (fitness, species, evaluations)
 * RunDir.log adds `elapsed` (seconds of training, continued across --resume) and `time`
 * (wall clock, ISO 8601 UTC).
 */
export interface MetricEvent {
  step: number;
  split?: 'batch' | 'train' | 'val' | 'test' | 'population' | string;
  [metric: string]: unknown;
}

/**
 * The run-directory convention shared by every training command:
 *   config.json     the full configuration of the run
 *   metrics.jsonl   one JSON object per event: step, split, metrics, elapsed seconds
 *   best.safetensors    the model only (weights, configuration): what sampling and evaluation load
 *   latest.safetensors  everything --resume needs (optimizer, generator, step, chapter state)
 *   latest.index.json + shards/   a distributed run's latest instead, one piece per rank (io/sharded.ts)
 *   samples.txt, *.svg  samples and pictures
 */
export class RunDir {
  readonly dir: string;
  private readonly started = Date.now();
  private elapsedOffset = 0;

  constructor(dir: string) {
    this.dir = resolve(dir);
    mkdirSync(this.dir, { recursive: true });
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  exists(name: string): boolean {
    return existsSync(this.path(name));
  }

  /** Seconds since this run started, including time spent before a resume. */
  elapsed(): number {
    return this.elapsedOffset + (Date.now() - this.started) / 1000;
  }

  /** A resumed run continues its clock from the checkpoint's elapsed time. */
  setElapsedOffset(seconds: number): void {
    this.elapsedOffset = seconds;
  }

  /**
   * Resuming from a checkpoint saved at `step`: the clock continues from `elapsedSeconds`, and
   * metrics.jsonl forgets events after `step` (logged by the interrupted run after its last save;
   * the resumed run logs them again), so the log reads as one uninterrupted run.
   */
  resumeAt(step: number, elapsedSeconds: number): void {
    this.setElapsedOffset(elapsedSeconds);
    if (!this.exists('metrics.jsonl')) return;
    const kept = this.readMetrics().filter((e) => !(e.step > step));
    this.writeText('metrics.jsonl', kept.map((e) => JSON.stringify(e) + '\n').join(''));
  }

  writeConfig(config: object): void {
    this.writeText('config.json', JSON.stringify(config, null, 2) + '\n');
  }

  readConfig<T = Record<string, unknown>>(): T | null {
    if (!this.exists('config.json')) return null;
    return JSON.parse(readFileSync(this.path('config.json'), 'utf8')) as T;
  }

  /** Appends one event to metrics.jsonl, stamped with elapsed seconds and the wall-clock time. */
  log(event: MetricEvent): void {
    const line = JSON.stringify({ ...event, elapsed: Number(this.elapsed().toFixed(3)), time: new Date().toISOString() });
    appendFileSync(this.path('metrics.jsonl'), line + '\n');
  }

  /** Reads metrics.jsonl back (for plots and for resuming). */
  readMetrics(): (MetricEvent & { elapsed: number })[] {
    if (!this.exists('metrics.jsonl')) return [];
    return readFileSync(this.path('metrics.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l));
  }

  writeText(name: string, text: string): string {
    const p = this.path(name);
    writeFileAtomic(p, text);
    return p;
  }

  writeBytes(name: string, data: Uint8Array): string {
    const p = this.path(name);
    writeFileAtomic(p, data);
    return p;
  }
}
