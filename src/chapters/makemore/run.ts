import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Generator } from '../../util/random.js';
import { loadCheckpoint } from '../../io/checkpoint.js';
import { RunDir } from '../../io/rundir.js';
import { checkRunDir } from '../../train/fresh.js';
import { GradpathError } from '../../util/errors.js';
import { Vocab, loadItems, splitItems, type Split } from './data.js';
import { bigramHeatmapSVG, bigramNLL, bigramProbabilities, countBigrams, sampleBigram } from './counts.js';
import { createModel, TYPE_DEFAULTS, type CharModel, type ModelType } from './models/index.js';
import { describeSamples, generateItems } from './sample.js';
import { kindOf, train } from './train.js';

/** Everything `gradpath makemore` accepts, after per-type defaults are filled in. */
export interface MakemoreOptions {
  input?: string;
  outDir?: string;
  type: ModelType;
  maxSteps?: number;
  batchSize: number;
  learningRate?: number;
  weightDecay: number;
  nLayer: number;
  nHead: number;
  nEmbd?: number;
  nEmbd2?: number;
  dropout?: number;
  seed: number;
  topK?: number;
  numSamples: number;
  sampleOnly: boolean;
  resume: boolean;
  /** Start over in a run directory that already holds a run, replacing it. */
  force?: boolean;
  json: boolean;
  evalInterval?: number;
  quiet?: boolean;
}

export interface MakemoreSummary {
  type: ModelType;
  params: number;
  steps: number;
  train_loss: number;
  test_loss: number;
  seconds: number;
  /** CPU seconds of this process (all threads): wall time inflates when other work shares the cores. */
  cpu_seconds: number;
  /** Present when Ctrl-C stopped the run (its state is saved; --resume continues). */
  interrupted?: true;
  count_train_loss?: number;
  count_test_loss?: number;
}

/** Progress and samples go to stderr so that stdout is only the samples and the --json line. */
const say = (msg: string) => process.stderr.write(msg + '\n');

export async function runMakemore(o: MakemoreOptions, out: (line: string) => void = console.log): Promise<MakemoreSummary | null> {
  const d = TYPE_DEFAULTS[o.type];
  if (o.dropout !== undefined && !(o.dropout >= 0 && o.dropout < 1)) throw new GradpathError(`--dropout must be in [0, 1) (the probability of zeroing an activation); got ${o.dropout}`);
  const { items, source } = await loadItems(o.input, say);
  const dir = resolve(o.outDir ?? `runs/makemore-${o.type}`);
  // refuse before the run directory is created: a failed command leaves no trace
  if (o.sampleOnly && !existsSync(join(dir, 'best.safetensors'))) throw new GradpathError(`--sample-only: no trained model in ${dir} (best.safetensors); train first`);
  if (o.resume && !existsSync(join(dir, 'latest.safetensors'))) throw new GradpathError(`--resume: no checkpoint in ${dir} (latest.safetensors); train without --resume first`);
  const runDir = new RunDir(dir);
  if (o.sampleOnly) {
    sampleOnly(o, items, runDir, out);
    return null;
  }
  checkRunDir(runDir, o); // before anything is written: a finished run is not replaced by accident
  const split = splitItems(items, o.seed);
  if (!o.quiet) say(`makemore ${o.type}: ${items.length} items from ${source}; vocabulary ${split.vocab.size} (${split.vocab.toString()} and '.'), block size ${split.blockSize}; ${split.train.length} train, ${split.test.length} test`);

  let counts: Pick<MakemoreSummary, 'count_train_loss' | 'count_test_loss'> = {};
  if (o.type === 'bigram') counts = countingBigram(split, runDir, o);

  const result = await train({
    type: o.type, input: o.input && resolve(o.input), split, runDir, seed: o.seed, batchSize: o.batchSize,
    learningRate: o.learningRate ?? d.learningRate, weightDecay: o.weightDecay, maxSteps: o.maxSteps ?? d.maxSteps,
    model: { nLayer: o.nLayer, nHead: o.nHead, nEmbd: o.nEmbd ?? d.nEmbd ?? 64, nEmbd2: o.nEmbd2 ?? d.nEmbd2 ?? 64, dropout: o.dropout ?? d.dropout ?? 0 },
    resume: o.resume, force: o.force, topK: o.topK, evalInterval: o.evalInterval, log: say, quiet: o.quiet,
  });
  if (!o.quiet) say(`${o.type}: ${result.params} parameters, ${result.steps} steps in ${result.seconds.toFixed(1)} s; train loss ${result.trainLoss.toFixed(4)}, test loss ${result.testLoss.toFixed(4)} (best ${result.bestTestLoss.toFixed(4)}); run directory ${runDir.dir}`);
  const samples = generateItems(result.model, split.vocab, split.blockSize, o.numSamples, { topK: o.topK, generator: new Generator(o.seed) });
  printSamples(samples, split.train.items, split.test.items, runDir, out);
  return { type: o.type, params: result.params, steps: result.steps, train_loss: result.trainLoss, test_loss: result.testLoss, seconds: Number(result.seconds.toFixed(2)), cpu_seconds: cpuSeconds(), ...counts, ...(result.interrupted ? { interrupted: true as const } : {}) };
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return Number(((u.user + u.system) / 1e6).toFixed(2));
}

/** Lecture 1's counting model: its loss, a few samples, and the picture of N. */
function countingBigram(split: Split, runDir: RunDir, o: MakemoreOptions) {
  const N = countBigrams(split.train.items, split.vocab);
  const P = bigramProbabilities(N, 1);
  const count_train_loss = bigramNLL(P, split.train.items, split.vocab);
  const count_test_loss = bigramNLL(P, split.test.items, split.vocab);
  const svg = runDir.writeText('bigram-counts.svg', bigramHeatmapSVG(N, split.vocab));
  if (!o.quiet) {
    say(`counting bigram (N + 1 smoothing): train NLL ${count_train_loss.toFixed(4)}, test NLL ${count_test_loss.toFixed(4)}; heatmap ${svg}`);
    say(`  samples: ${sampleBigram(P, split.vocab, 5, new Generator(o.seed)).join(', ')}`);
  }
  return { count_train_loss, count_test_loss };
}

function printSamples(samples: string[], train: string[], test: string[], runDir: RunDir, out: (line: string) => void): void {
  const lines = describeSamples(samples, new Set(train), new Set(test));
  runDir.writeText('samples.txt', lines.join('\n') + '\n');
  out(lines.join('\n'));
}

/** --sample-only: rebuild the model from best.safetensors (its own vocabulary and sizes) and sample. */
function sampleOnly(o: MakemoreOptions, items: string[], runDir: RunDir, out: (line: string) => void): void {
  const path = runDir.path('best.safetensors');
  const ckpt = loadCheckpoint(path, { kind: kindOf(o.type) });
  const c = ckpt.config as { vocab: string; blockSize: number; nLayer: number; nHead: number; nEmbd: number; nEmbd2: number; seed: number };
  const vocab = new Vocab(c.vocab);
  for (const item of items) {
    if ([...item].length > c.blockSize - 1) throw new GradpathError(`item '${item}' has ${[...item].length} characters, longer than the ${c.blockSize - 1} the model in ${runDir.dir} was trained for (block size ${c.blockSize})`);
    vocab.encode(item); // refuses characters the model never saw
  }
  const model: CharModel = createModel(o.type, { vocabSize: vocab.size, blockSize: c.blockSize, nLayer: c.nLayer, nHead: c.nHead, nEmbd: c.nEmbd, nEmbd2: c.nEmbd2 }, new Generator(0));
  model.loadStateDict(ckpt.model);
  // the same split as training, so "in train" means what the model was trained on
  const split = splitItems(items, c.seed, vocab, c.blockSize);
  const samples = generateItems(model, vocab, c.blockSize, o.numSamples, { topK: o.topK, generator: new Generator(o.seed) });
  const lines = describeSamples(samples, new Set(split.train.items), new Set(split.test.items));
  out(lines.join('\n'));
}
