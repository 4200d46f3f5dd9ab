import { existsSync, readFileSync } from 'node:fs';
import { GradpathError } from '../../util/errors.js';
import { RunDir } from '../../io/rundir.js';
import { interruptRequested } from '../../util/interrupt.js';
import { checkRunDir } from '../../train/fresh.js';
import { FORMULA } from './data.js';
import { embeddingSpectrum, type Spectrum } from './fourier.js';
import { curvesSvg, spectrumSvg, type Run } from './plot.js';
import { setupRun, train, type GrokConfig, type GrokResult } from './train.js';

/** One run in its own directory: config.json, metrics.jsonl, curves.svg, spectrum.svg, summary.json, latest.safetensors. */

/** A training result plus what the run adds: its label, configuration, speed and spectrum. */
export interface RunSummary extends GrokResult {
  label: string;
  config: GrokConfig;
  epochsPerSecond: number;
  spectrum: Spectrum;
}

export function runTitle(c: GrokConfig): string {
  return `${FORMULA[c.op]} mod ${c.p}, ${Math.round(c.trainFrac * 100)}% train, d_model ${c.dModel}, lr ${c.lr}, weight decay ${c.weightDecay}`;
}

export interface RunOptions {
  label: string;
  resume?: boolean;
  /** Start over in a directory that holds a run, replacing it. */
  force?: boolean;
  quiet?: boolean;
  /** Where progress and notes go (stderr by default, so --json keeps stdout clean). */
  log?: (line: string) => void;
}

export async function runOne(config: GrokConfig, dirPath: string, opts: RunOptions): Promise<RunSummary> {
  const dir = new RunDir(dirPath);
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  if (opts.resume && dir.exists('summary.json')) {
    // a finished run (e.g. the first half of --compare-wd) is not trained again
    const s = JSON.parse(readFileSync(dir.path('summary.json'), 'utf8')) as RunSummary;
    if (!s.interrupted) return s;
  }
  const ckpt = dir.path('latest.safetensors');
  const resume = Boolean(opts.resume && existsSync(ckpt));
  if (opts.resume && !resume) log(`${opts.label}: nothing to resume in ${dir.dir}; starting afresh`);
  checkRunDir(dir, { resume, force: opts.force });
  const session = setupRun(config);
  const result: GrokResult = await train(session, {
    run: dir, resume, force: opts.force, interrupted: interruptRequested, log,
    configNotes: { parameters: session.model.numParameters(), train_size: session.split.trainIdx.length, val_size: session.split.valIdx.length },
    progress: { label: opts.label, quiet: opts.quiet },
  });
  const seconds = dir.elapsed();
  const spectrum = embeddingSpectrum(session.model.embeddingMatrix(), config.p);
  const summary: RunSummary = {
    label: opts.label, config, train99: result.train99, val99: result.val99, finalValAcc: result.finalValAcc, epochsRun: result.epochsRun, epochsThisRun: result.epochsThisRun,
    seconds, cpuSeconds: result.cpuSeconds, epochsPerSecond: result.epochsThisRun / Math.max(1e-9, result.seconds), spectrum, history: result.history, interrupted: result.interrupted,
  };
  dir.writeText('summary.json', JSON.stringify(summary) + '\n');
  writePictures(dir, runTitle(config), [summary]);
  if (result.interrupted) log(`${opts.label}: interrupted at epoch ${result.epochsRun}; state saved to ${ckpt} (continue with --resume --out ${dirPath})`);
  return summary;
}

/** curves.svg and spectrum.svg for one run, or for several runs side by side. */
export function writePictures(dir: RunDir, title: string, runs: RunSummary[]): void {
  const asRun = (s: RunSummary): Run => ({ label: s.label, history: s.history, train99: s.train99, val99: s.val99 });
  dir.writeText('curves.svg', curvesSvg(title, runs.map(asRun)));
  dir.writeText('spectrum.svg', spectrumSvg(`Fourier spectrum of the token embedding (${title})`, runs.map((s) => ({ label: s.label, spectrum: s.spectrum }))));
}

/** Honest grokking: validation reaches 99% at least `factor` times later than training did. */
export function grokked(s: Pick<RunSummary, 'train99' | 'val99'>, factor = 5): boolean {
  return s.train99 !== null && s.val99 !== null && s.val99 >= factor * s.train99;
}

export function checkResumable(dirPath: string): void {
  if (!existsSync(dirPath)) throw new GradpathError(`gradpath grokking: --resume needs an existing run directory; ${dirPath} does not exist`);
}
