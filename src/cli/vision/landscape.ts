import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { defineCommand } from '../args.js';
import { commonFlags } from '../flags.js';
import { RunDir } from '../../io/rundir.js';
import { GradpathError } from '../../util/errors.js';
import { formatDuration } from '../../util/format.js';
import { loadFashionMnist, type FashionMnist } from '../../data/fashion-mnist.js';
import { MODELS, type ModelName } from '../../chapters/vision/model.js';
import { visionSubject, type VisionLandscapeConfig } from '../../chapters/vision/landscape-run.js';
import { loadItems, splitItems, type Split } from '../../chapters/makemore/data.js';
import { makemoreMlpSubject } from '../../chapters/makemore/landscape.js';
import { runLandscape, seedsTable, summaryLine, writeLandscapePictures, type LandscapeResult, type LandscapeSubject } from '../../train/landscape/run.js';
import { dataFlag } from './train.js';

/** The networks the command can measure: the vision chapter's, and makemore's MLP (the issue asks for both). */
const SUBJECTS = [...MODELS, 'makemore-mlp'] as const;

export const landscapeCommand = defineCommand({
  name: 'landscape',
  summary: 'Loss landscapes: init-to-trained line, random filter-normalised plane, trajectory; with and without skip connections',
  usage: 'gradpath vision landscape [--models resnet,plain|makemore-mlp] [options]',
  description: `
Trains each network for --max-steps, then measures its training loss (on a fixed batch of --probe
images, or names for makemore's MLP) along the line from its initial to its trained weights
(Goodfellow et al. 2015), on a random filter-normalised plane around the trained weights (Li et
al. 2018) and on the plane of its training trajectory's two principal directions. Then trains
--seeds more initialisations of the first network and prints where they end. Writes
interpolation.svg, landscape-contour.svg, landscape-surface.svg, trajectory.svg and
landscape.json into --out.

Examples:
  gradpath vision landscape                               # resnet vs plain (the run in docs/vision.md)
  gradpath vision landscape --models makemore-mlp -o runs/vision/landscape-mlp --max-steps 2000
  gradpath vision landscape --depth 4 --subset 12000      # 19-layer nets with and without skips`,
  options: {
    models: { type: 'string', default: 'resnet,plain', placeholder: 'A,B', help: `networks to compare, comma-separated (${SUBJECTS.join(', ')})` },
    input: dataFlag,
    names: { type: 'string', path: 'file', placeholder: 'FILE', help: "makemore-mlp: the items file (default: makemore's names.txt, as gradpath makemore finds it)" },
    'max-steps': { ...commonFlags['max-steps'], default: 150, help: 'training steps of each network' },
    lr: { ...commonFlags.lr, help: 'peak learning rate (AdamW, no weight decay; default 2e-3, makemore-mlp 5e-3)' },
    'batch-size': { type: 'int', min: 2, help: 'images (default 128) or names (default 32) per step' },
    width: { type: 'int', min: 1, default: 6, help: 'channels of the first stage (doubled by the second)' },
    depth: { type: 'int', min: 1, default: 2, help: 'residual blocks per stage: 4 * depth + 3 layers (2: 11 layers, 4: 19, 13: 55)' },
    subset: { type: 'int', min: 0, default: 0, help: 'train on the first N training images only (0: all 60,000)' },
    grid: { type: 'int', min: 3, default: 11, help: 'points per side of each 2-D grid' },
    probe: { type: 'int', min: 2, default: 256, help: 'training images (or names) the loss is measured on' },
    seeds: { type: 'int', min: 0, default: 2, help: 'more initialisations of the first network, for the table' },
    seed: { type: 'int', min: 0, default: 1, help: 'seed of the first training and of the random directions' },
    out: { ...commonFlags.out, help: 'output directory (default runs/vision/landscape)' },
    redraw: { type: 'boolean', help: "only redraw the pictures from --out's landscape.json (no training)" },
    json: commonFlags.json,
  },
  run: async (o) => {
    const models = o.models.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = models.find((m) => !(SUBJECTS as readonly string[]).includes(m));
    if (bad !== undefined || !models.length) throw new GradpathError(`--models: unknown model '${bad ?? ''}'; choose from ${SUBJECTS.join(', ')}`);
    const say = (l: string) => (o.json ? process.stderr.write(l + '\n') : console.log(l));
    const run = new RunDir(o.out ?? join('runs', 'vision', 'landscape'));
    if (o.redraw) {
      if (!run.exists('landscape.json')) throw new GradpathError(`--redraw: no landscape.json in ${run.dir}; run gradpath vision landscape there first`);
      const { config, ...r } = JSON.parse(readFileSync(run.path('landscape.json'), 'utf8')) as LandscapeResult & { config: { probe: string } };
      if (!r.models?.[0]?.label) throw new GradpathError(`--redraw: ${run.path('landscape.json')} was written by an older version; run gradpath vision landscape again`);
      writeLandscapePictures(run, r, config);
      say(`redrew the pictures in ${run.dir}`);
      return 0;
    }
    // each source loaded once, and only when a network needs it
    let images: FashionMnist | null = null, names: Split | null = null;
    const vision: VisionLandscapeConfig = { width: o.width, depth: o.depth, steps: o.maxSteps, lr: o.lr ?? 2e-3, batchSize: o.batchSize ?? 128, probe: o.probe, subset: o.subset };
    const subjectFor = async (name: string, seed: number): Promise<LandscapeSubject> => {
      if (name === 'makemore-mlp') {
        names ??= splitItems((await loadItems(o.names, say)).items, 3407); // makemore's default seed: its split
        return makemoreMlpSubject(names, { steps: o.maxSteps, lr: o.lr ?? 0, batchSize: o.batchSize ?? 32, probe: o.probe }, seed);
      }
      images ??= await loadFashionMnist({ dir: o.input, log: say });
      return visionSubject(images, vision, name as ModelName, seed);
    };
    const subjects = [];
    for (const name of models) subjects.push(await subjectFor(name, o.seed));
    const seedRuns = [];
    for (let k = 0; k < o.seeds; k++) seedRuns.push({ seed: o.seed + 1 + k, subject: await subjectFor(models[0], o.seed + 1 + k) });
    const probe = `${o.probe} ${models.every((m) => m === 'makemore-mlp') ? 'names' : models.includes('makemore-mlp') ? 'images or names' : 'training images'}`;
    const config = { probe, models, maxSteps: o.maxSteps, lr: o.lr, batchSize: o.batchSize, width: o.width, depth: o.depth, subset: o.subset, grid: o.grid, seeds: o.seeds, seed: o.seed };
    const r = await runLandscape(subjects, seedRuns, run, { grid: o.grid, seed: o.seed, log: say, config });
    for (const m of r.models) say(summaryLine(m));
    if (r.seeds.length) {
      say(seedsTable(r));
      if (r.barrier !== null) say(`loss barrier on the straight line between the first two solutions: ${r.barrier.toFixed(3)}`);
    }
    say(`pictures in ${run.dir}: interpolation.svg, landscape-contour.svg, landscape-surface.svg, trajectory.svg (${formatDuration(r.seconds)})`);
    if (o.json) console.log(JSON.stringify({ models: r.models.map((m) => ({ model: m.model, scores: m.scores, line_start: m.line[m.alphas.indexOf(0)], line_end: m.line[m.alphas.indexOf(1)] })), seeds: r.seeds, barrier: r.barrier, seconds: r.seconds }));
    return 0;
  },
});
