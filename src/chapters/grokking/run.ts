import { existsSync, readFileSync } from 'node:fs';
import { GradpathError } from '../../util/errors.js';
import { RunDir } from '../../io/rundir.js';
import { Progress } from '../../io/progress.js';
import { interruptRequested } from '../../util/interrupt.js';
import { loadTrainingState, saveTrainingState } from '../../train/state.js';
import { FORMULA } from './data.js';
import { embeddingSpectrum, type Spectrum } from './fourier.js';
import { curvesSvg, spectrumSvg, type Run } from './plot.js';
import { CONFIG_KEYS, setupRun, train, type EpochRecord, type GrokConfig, type GrokResult } from './train.js';

/** One run in its own directory: config.json, metrics.jsonl, curves.svg, spectrum.svg, summary.json, latest.safetensors. */

/** A training result plus what the run adds: its label, configuration, speed and spectrum. */
export interface RunSummary extends GrokResult {
  label: string;
  config: GrokConfig;
  epochsPerSecond: number;
  spectrum: Spectrum;
}

const KIND = 'grokking';

export function runTitle(c: GrokConfig): string {
  return `${FORMULA[c.op]} mod ${c.p}, ${Math.round(c.trainFrac * 100)}% train, d_model ${c.dModel}, lr ${c.lr}, weight decay ${c.weightDecay}`;
}

/** metrics.jsonl back into epoch records (train and val events of the same epoch merge). */
function readHistory(dir: RunDir): EpochRecord[] {
  const by = new Map<number, EpochRecord>();
  for (const e of dir.readMetrics()) {
    const r = by.get(e.step) ?? { epoch: e.step, trainLoss: NaN, trainAcc: NaN, valLoss: null, valAcc: null, paramNorm: 0 };
    if (e.split === 'train') Object.assign(r, { trainLoss: e.loss, trainAcc: e.acc });
    if (e.split === 'val') Object.assign(r, { valLoss: e.loss, valAcc: e.acc, paramNorm: e.param_norm });
    by.set(e.step, r);
  }
  return [...by.values()].sort((a, b) => a.epoch - b.epoch);
}

export interface RunOptions {
  label: string;
  resume?: boolean;
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
  const session = setupRun(config);
  let startEpoch = 0;
  let history: EpochRecord[] = [];
  const ckpt = dir.path('latest.safetensors');
  if (opts.resume && existsSync(ckpt)) {
    const st = loadTrainingState(ckpt, { model: session.model, optimizer: session.optimizer, kind: KIND, config: { ...config }, configKeys: CONFIG_KEYS });
    startEpoch = st.step;
    history = readHistory(dir).filter((r) => r.epoch <= startEpoch);
    dir.setElapsedOffset(Number(st.extra.seconds ?? 0));
    log(`${opts.label}: resuming ${dir.dir} at epoch ${startEpoch}`);
  } else {
    if (opts.resume) log(`${opts.label}: nothing to resume in ${dir.dir}; starting afresh`);
    dir.writeText('metrics.jsonl', '');
  }
  dir.writeConfig({ ...config, kind: KIND, parameters: session.model.numParameters(), train_size: session.split.trainIdx.length, val_size: session.split.valIdx.length });
  const progress = new Progress({ total: config.epochs, label: opts.label, quiet: opts.quiet });
  const last = { train: 0, val: 0 };
  const result: GrokResult = await train(session, {
    startEpoch,
    history,
    interrupted: interruptRequested,
    onEpoch: (r) => {
      last.train = r.trainAcc;
      if (r.valAcc !== null) {
        last.val = r.valAcc;
        dir.log({ step: r.epoch, split: 'train', loss: r.trainLoss, acc: r.trainAcc });
        dir.log({ step: r.epoch, split: 'val', loss: r.valLoss, acc: r.valAcc, param_norm: Number(r.paramNorm.toFixed(4)) });
      }
      progress.update(r.epoch, { loss: r.trainLoss, train_acc: last.train, val_acc: last.val });
    },
  });
  progress.done();
  const seconds = dir.elapsed();
  saveTrainingState(ckpt, { model: session.model, optimizer: session.optimizer, step: result.epochsRun, kind: KIND, config: { ...config }, extra: { seconds } });
  const spectrum = embeddingSpectrum(session.model.embeddingMatrix(), config.p);
  const summary: RunSummary = {
    label: opts.label, config, train99: result.train99, val99: result.val99, finalValAcc: result.finalValAcc, epochsRun: result.epochsRun,
    seconds, cpuSeconds: result.cpuSeconds, epochsPerSecond: (result.epochsRun - startEpoch) / Math.max(1e-9, result.seconds), spectrum, history: result.history, interrupted: result.interrupted,
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
