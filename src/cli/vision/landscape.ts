import { join } from 'node:path';
import { defineCommand } from '../args.js';
import { commonFlags } from '../flags.js';
import { RunDir } from '../../io/rundir.js';
import { GradpathError } from '../../util/errors.js';
import { formatDuration } from '../../util/format.js';
import { loadFashionMnist } from '../../data/fashion-mnist.js';
import { MODELS, type ModelName } from '../../chapters/vision/model.js';
import { runLandscape, seedsTable, writeLandscapePictures, type LandscapeConfig, type LandscapeResult } from '../../chapters/vision/landscape-run.js';
import { readFileSync } from 'node:fs';
import { dataFlag } from './train.js';

export const landscapeCommand = defineCommand({
  name: 'landscape',
  summary: 'Loss landscapes: init-to-trained line, random filter-normalised plane, trajectory; with and without skip connections',
  usage: 'gradpath vision landscape [--models resnet,plain] [options]',
  description: `
Trains each network for --max-steps, then measures its training loss (on a fixed batch of --probe
images) along the line from its initial to its trained weights (Goodfellow et al. 2015), on a
random filter-normalised plane around the trained weights (Li et al. 2018) and on the plane of
its training trajectory's two principal directions. Then trains --seeds more initialisations of
the first network and prints where they end. Writes interpolation.svg, landscape-contour.svg,
landscape-surface.svg, trajectory.svg and landscape.json into --out.

Examples:
  gradpath vision landscape                               # resnet vs plain (the run in docs/vision.md)
  gradpath vision landscape --models plain --depth 4 --grid 21`,
  options: {
    models: { type: 'string', default: 'resnet,plain', placeholder: 'A,B', help: `networks to compare, comma-separated (${MODELS.join(', ')})` },
    input: dataFlag,
    'max-steps': { ...commonFlags['max-steps'], default: 150, help: 'training steps of each network' },
    lr: { ...commonFlags.lr, default: 2e-3, help: 'peak learning rate (AdamW, no weight decay)' },
    'batch-size': { type: 'int', min: 2, default: 128, help: 'images per step' },
    width: { type: 'int', min: 1, default: 6, help: 'channels of the first stage (doubled by the second)' },
    depth: { type: 'int', min: 1, default: 2, help: 'residual blocks per stage' },
    grid: { type: 'int', min: 3, default: 11, help: 'points per side of each 2-D grid' },
    probe: { type: 'int', min: 2, default: 256, help: 'training images the loss is measured on' },
    seeds: { type: 'int', min: 0, default: 2, help: 'more initialisations of the first network, for the table' },
    seed: { type: 'int', min: 0, default: 1, help: 'seed of the first training and of the random directions' },
    out: { ...commonFlags.out, help: 'output directory (default runs/vision/landscape)' },
    redraw: { type: 'boolean', help: "only redraw the pictures from --out's landscape.json (no training)" },
    json: commonFlags.json,
  },
  run: async (o) => {
    const models = o.models.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = models.find((m) => !(MODELS as readonly string[]).includes(m));
    if (bad || !models.length) throw new GradpathError(`--models: unknown model '${bad ?? ''}'; choose from ${MODELS.join(', ')}`);
    const say = (l: string) => (o.json ? process.stderr.write(l + '\n') : console.log(l));
    if (o.redraw) {
      const run = new RunDir(o.out ?? join('runs', 'vision', 'landscape'));
      if (!run.exists('landscape.json')) throw new GradpathError(`--redraw: no landscape.json in ${run.dir}; run gradpath vision landscape there first`);
      const { config, ...r } = JSON.parse(readFileSync(run.path('landscape.json'), 'utf8')) as LandscapeResult & { config: LandscapeConfig };
      writeLandscapePictures(run, r, config);
      say(`redrew the pictures in ${run.dir}`);
      return 0;
    }
    const data = await loadFashionMnist({ dir: o.input, log: say });
    const run = new RunDir(o.out ?? join('runs', 'vision', 'landscape'));
    const c = { models: models as ModelName[], width: o.width, depth: o.depth, steps: o.maxSteps, lr: o.lr, batchSize: o.batchSize, grid: o.grid, probe: o.probe, seeds: o.seeds, seed: o.seed };
    const r = await runLandscape(data, c, run, say);
    for (const m of r.models) {
      const min = Math.min(...m.random.loss.flat()), centre = m.random.loss[(c.grid - 1) / 2 | 0][(c.grid - 1) / 2 | 0];
      say(`${m.model}: test ${(100 * m.testAcc).toFixed(2)}%; line init->trained: loss ${m.line[m.alphas.indexOf(0)].toFixed(3)} -> ${m.line[m.alphas.indexOf(1)].toFixed(3)}, monotone on [0, 1]: ${monotone(m)}; random plane: centre ${centre.toFixed(3)}, min ${min.toFixed(3)}, max ${Math.max(...m.random.loss.flat()).toFixed(3)}`);
    }
    if (r.seeds.length) {
      say(seedsTable(r));
      if (r.barrier !== null) say(`loss barrier on the straight line between the first two solutions: ${r.barrier.toFixed(3)}`);
    }
    say(`pictures in ${run.dir}: interpolation.svg, landscape-contour.svg, landscape-surface.svg, trajectory.svg (${formatDuration(r.seconds)})`);
    if (o.json) console.log(JSON.stringify({ models: r.models.map((m) => ({ model: m.model, test_acc: m.testAcc, line_start: m.line[m.alphas.indexOf(0)], line_end: m.line[m.alphas.indexOf(1)] })), seeds: r.seeds, barrier: r.barrier, seconds: r.seconds }));
    return 0;
  },
});

function monotone(m: { alphas: number[]; line: number[] }): string {
  const inside = m.line.filter((_, i) => m.alphas[i] >= 0 && m.alphas[i] <= 1);
  let rises = 0;
  for (let i = 1; i < inside.length; i++) if (inside[i] > inside[i - 1] + 1e-4) rises++;
  return rises === 0 ? 'yes' : `no (${rises} rises)`;
}
