import { Generator } from '../../util/random.js';
import type { GPT } from '../../models/gpt.js';
import { AdamW } from '../../optim/adam.js';
import { decayGroups } from '../../optim/groups.js';
import { cosineWithWarmup } from '../../optim/schedule.js';
import type { RunDir } from '../../io/rundir.js';
import { trainLoop, type Evaluation } from '../../train/loop.js';
import { collate, sampleRows, type Row } from './data.js';

/** One training stage of a knowledge run: pretraining (or mixed training), or the QA finetune. */
export interface StageSettings {
  steps: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  warmupSteps: number;
  evalEvery: number;
}

export interface StageJob {
  model: GPT;
  settings: StageSettings;
  /** The rows drawn from; with `second`, a share `secondShare` of each batch comes from it (mixed training). */
  rows: readonly Row[];
  second?: readonly Row[];
  secondShare?: number;
  padId: number;
  seed: number;
  evaluate: () => Evaluation;
  /** Which measurement picks best.safetensors (always a training-people one: the OOD people are never looked at to choose). */
  best: { split: 'train'; metric: string; mode: 'max' };
  run: RunDir;
  kind: string;
  config: Record<string, unknown>;
  configKeys: readonly string[];
  resume: boolean;
  force?: boolean;
  label: string;
  quiet?: boolean;
  log: (line: string) => void;
  stopRequested?: () => boolean;
}

/** AdamW (decay on matrices and embeddings only), cosine schedule to a tenth, on the one training loop. */
export async function trainStage(job: StageJob) {
  const s = job.settings;
  const gen = new Generator(job.seed);
  const optimizer = new AdamW(decayGroups(job.model, s.weightDecay), { lr: s.lr, betas: [0.9, 0.98] });
  return trainLoop({
    model: job.model, optimizer, generator: gen, maxSteps: s.steps,
    schedule: cosineWithWarmup({ maxLr: s.lr, minLr: s.lr / 10, warmupSteps: s.warmupSteps, decaySteps: s.steps }),
    gradClip: 1,
    loss: () => {
      const { x, y } = collate(sampleRows(gen, s.batchSize, job.rows, job.second, job.secondShare ?? 0), job.padId); // (B, T)
      return job.model.forward(x, y).loss!;
    },
    evaluate: job.evaluate, evalEvery: s.evalEvery, best: job.best,
    run: job.run, kind: job.kind, config: job.config, configKeys: job.configKeys, resume: job.resume, force: job.force,
    stopRequested: job.stopRequested,
    progress: { label: job.label, quiet: job.quiet }, log: job.log,
  });
}
