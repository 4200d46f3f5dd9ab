import { join } from 'node:path';
import { defineCommand } from './args.js';
import { commonFlags } from './flags.js';
import { backendName } from '../engine/device.js';
import { leaveNoTrace } from './preflight.js';
import { watchInterrupt } from '../util/interrupt.js';
import { GradpathError } from '../util/errors.js';
import { formatDuration, formatTable } from '../util/format.js';
import { RunDir } from '../io/rundir.js';
import { checkTask, OPERATIONS } from '../chapters/grokking/data.js';
import { describeSpectrum } from '../chapters/grokking/fourier.js';
import { asciiCurves } from '../chapters/grokking/plot.js';
import { PRESET_CONFIGS, PRESETS, type Preset } from '../chapters/grokking/presets.js';
import { checkResumable, grokked, runOne, runTitle, writePictures, type RunSummary } from '../chapters/grokking/run.js';
import type { GrokConfig } from '../chapters/grokking/train.js';

export const command = defineCommand({
  name: 'grokking',
  summary: 'Grokking: a transformer memorises modular arithmetic, then (with weight decay) suddenly generalises',
  description: `
Trains Nanda et al.'s one-layer transformer (or Power et al.'s two-layer one) full-batch with
AdamW on every pair (a, b) of a modular operation, logs train/validation loss and accuracy and
the parameter norm, draws curves.svg (log-scale epochs) and the Fourier spectrum of the
embedding (spectrum.svg), and reports when each accuracy first reached 99%.
Presets: quick (under a minute), default (grokking within ~15 minutes on two cores),
nanda (the paper's p = 113 run: about 25 minutes on two cores). Flags override the preset.

Examples:
  gradpath grokking --preset quick
  gradpath grokking --compare-wd            # weight decay 1 vs 0, same budget
  gradpath grokking --op sub --p 47 --train-frac 0.5 --max-steps 5000`,
  options: {
    preset: { type: 'choice', choices: PRESETS, default: 'default', help: 'starting configuration' },
    op: { type: 'choice', choices: OPERATIONS, help: 'operation (add, sub, mul, div, sq_add = a^2+b^2, sq_add_ab = a^2+ab+b^2, ...)' },
    p: { type: 'int', min: 2, help: 'modulus (prime for div)', placeholder: 'N' },
    'train-frac': { type: 'float', help: 'fraction of all pairs used for training, in (0, 1)', placeholder: 'F' },
    'max-steps': { ...commonFlags['max-steps'], aliases: ['epochs', 'max-iters'], help: 'epoch budget (full batch: one step per epoch)' },
    'weight-decay': { type: 'float', min: 0, help: 'AdamW weight decay (the papers: 1.0)', placeholder: 'W' },
    lr: { ...commonFlags.lr, help: 'learning rate' },
    'd-model': { type: 'int', min: 4, help: 'model width (4 heads; d_mlp = 4 d_model)' },
    arch: { type: 'choice', choices: ['nanda', 'power'], help: 'one layer without LayerNorm (nanda) or two pre-LN layers (power)' },
    'eval-every': { ...commonFlags['eval-every'], help: 'measure validation every N epochs' },
    full: { type: 'boolean', help: 'keep training after grokking instead of stopping shortly after' },
    'compare-wd': { type: 'boolean', help: 'also run the same configuration with weight decay 0 and compare' },
    seed: { type: 'int', min: 0, help: 'seed of the split and the initialisation' },
    out: { ...commonFlags.out, help: 'run directory (default runs/grokking/<preset>-<op>-p<p>)' },
    resume: { ...commonFlags.resume, help: 'continue the interrupted run in --out' },
    force: commonFlags.force,
    json: commonFlags.json,
    backend: commonFlags.backend,
  },
  run: async (o) => {
    const base = PRESET_CONFIGS[o.preset as Preset];
    const config: GrokConfig = {
      ...base,
      op: (o.op ?? base.op) as GrokConfig['op'],
      p: o.p ?? base.p,
      trainFrac: o.trainFrac ?? base.trainFrac,
      epochs: o.maxSteps ?? base.epochs,
      weightDecay: o.weightDecay ?? base.weightDecay,
      lr: o.lr ?? base.lr,
      dModel: o.dModel ?? base.dModel,
      dMlp: 4 * (o.dModel ?? base.dModel),
      arch: (o.arch ?? base.arch) as GrokConfig['arch'],
      evalEvery: o.evalEvery ?? base.evalEvery,
      stopAfterGrok: o.full ? 0 : base.stopAfterGrok,
      seed: o.seed ?? base.seed,
    };
    checkTask(config.op, config.p, config.trainFrac);
    if (config.dModel % config.nHeads !== 0) {
      throw new GradpathError(`gradpath grokking: --d-model must be a multiple of the ${config.nHeads} heads; got ${config.dModel}`);
    }
    const out = o.out ?? join('runs', 'grokking', `${o.preset}-${config.op}-p${config.p}`);
    if (o.resume) checkResumable(out);
    watchInterrupt();
    const say = (l: string) => (o.json ? process.stderr.write(l + '\n') : console.log(l));
    say(`grokking: ${runTitle(config)}; ${config.epochs} epochs at most -> ${out}`);
    const runs: RunSummary[] = [];
    const runFlags = { resume: o.resume, force: o.force }; // force: the loop refuses to overwrite a run without it
    const wdLabel = (wd: number) => `wd ${wd}`;
    runs.push(await leaveNoTrace(out, () => runOne(config, o.compareWd ? join(out, `wd${config.weightDecay}`) : out, { label: wdLabel(config.weightDecay), ...runFlags })));
    if (o.compareWd && !runs[0].interrupted) {
      // same budget, no early stop: without weight decay the point is that it never gets there
      const twin: GrokConfig = { ...config, weightDecay: 0, stopAfterGrok: 0 };
      runs.push(await runOne(twin, join(out, 'wd0'), { label: wdLabel(0), ...runFlags }));
      writePictures(new RunDir(out), `${runTitle(config).replace(/, weight decay [^,]*$/, '')}: weight decay ${config.weightDecay} vs 0`, runs);
    }
    const rows = runs.map((r) => [r.label, r.train99 ?? 'never', r.val99 ?? 'never', r.val99 && r.train99 ? `${(r.val99 / r.train99).toFixed(1)}x` : '-',
      `${(100 * r.finalValAcc).toFixed(1)}%`, r.epochsRun, `${r.epochsPerSecond.toFixed(1)}`, formatDuration(r.seconds), formatDuration(r.cpuSeconds)]);
    // CPU time as well as wall time: on a shared machine the wall clock mostly measures the neighbours
    say(formatTable(['run', 'train 99% at', 'val 99% at', 'ratio', 'final val acc', 'epochs', 'epochs/s', 'time', 'CPU time'], rows));
    for (const r of runs) {
      say(`${r.label}: accuracy ('t' train, 'v' validation)\n${asciiCurves(r.history)}`);
      say(`${r.label}: ${describeSpectrum(r.spectrum)}`);
      say(`${r.label}: ${grokked(r) ? 'grokked (validation 99% at least 5x later than training 99%)' : r.val99 ? 'generalised, but not 5x later than it memorised' : 'did not generalise within the budget'}`);
    }
    say(`pictures: ${join(out, 'curves.svg')}, ${join(out, 'spectrum.svg')}`);
    const main = runs[0];
    if (o.json) {
      const brief = (r: RunSummary) => ({ train_99_epoch: r.train99, val_99_epoch: r.val99, final_val_acc: Number(r.finalValAcc.toFixed(4)), key_frequencies: r.spectrum.keyFrequencies });
      console.log(JSON.stringify({
        p: config.p, op: config.op, train_frac: config.trainFrac, ...brief(main), seconds: Number(runs.reduce((s, r) => s + r.seconds, 0).toFixed(1)),
        cpu_seconds: Number(runs.reduce((s, r) => s + r.cpuSeconds, 0).toFixed(1)),
        weight_decay: config.weightDecay, epochs: main.epochsRun, ...(runs[1] ? { wd0: brief(runs[1]) } : {}), backend: backendName(),
      }));
    }
    return runs.some((r) => r.interrupted) ? 130 : 0;
  },
});
