import type { RunDir } from '../../io/rundir.js';
import { lineChart } from '../../util/chart.js';
import { formatTable } from '../../util/format.js';
import { Generator } from '../../util/random.js';
import type { FashionMnist } from '../../data/fashion-mnist.js';
import { buildModel, DEFAULT_MODEL, type ModelName } from './model.js';
import { splitTrain, trainVision, type VisionConfig } from './train.js';
import { pixelStats } from './data.js';
import { filterNormalisedDirection, getFlat, interpolate, linspace, lossProbe, plane, relativeDistance, setFlat, trajectoryPca, type Surface } from './landscape.js';
import { contoursSvg, surfacesSvg } from './landscape-plot.js';

/**
 * `gradpath vision landscape`: trains each network (by default the small ResNet and the same net
 * without its skip connections) and draws its loss landscape: the line from its initial to its
 * trained weights, a random filter-normalised plane around the trained weights (contour and
 * surface), and the plane of its training trajectory with the path on it. Then trains more
 * seeds of the first network and tabulates where they end: different weights, the same loss.
 */
export interface LandscapeConfig {
  models: ModelName[];
  width: number;
  depth: number;
  steps: number;
  lr: number;
  batchSize: number;
  /** Points per side of each 2-D grid. */
  grid: number;
  /** Training images in the fixed batch the loss is measured on. */
  probe: number;
  /** Trainings from different initialisations for the table. */
  seeds: number;
  seed: number;
}

export interface ModelLandscape {
  model: ModelName;
  alphas: number[];
  line: number[];
  random: Surface;
  trajectory: Surface;
  path: [number, number][];
  explained: [number, number];
  testAcc: number;
}

export interface SeedRow { seed: number; trainLoss: number; valAcc: number; testAcc: number }

export interface LandscapeResult { models: ModelLandscape[]; seeds: SeedRow[]; distances: number[][]; barrier: number | null; seconds: number }

/** Held-out training images: Fashion-MNIST's usual 5000, fewer for a small set. */
const valSizeOf = (data: FashionMnist) => Math.min(5000, Math.floor(data.train.count / 6));

function config(c: LandscapeConfig, model: ModelName, seed: number, valSize: number): VisionConfig {
  return { ...DEFAULT_MODEL[model], model, width: c.width, depth: c.depth, steps: c.steps, batchSize: c.batchSize, lr: c.lr, weightDecay: 0, warmupSteps: Math.min(50, Math.floor(c.steps / 10)), seed, evalEvery: c.steps, valSize };
}

export async function runLandscape(data: FashionMnist, c: LandscapeConfig, run: RunDir, log: (l: string) => void): Promise<LandscapeResult> {
  const started = Date.now();
  const valSize = valSizeOf(data);
  const { train } = splitTrain(data.train, valSize);
  const stats = pixelStats(train);
  const grid = linspace(-1, 1, c.grid);
  const models: ModelLandscape[] = [];
  for (const name of c.models) {
    const gen = new Generator(c.seed);
    const model = buildModel(config(c, name, c.seed, valSize), gen);
    const snapshots = [getFlat(model)];
    const every = Math.max(1, Math.floor(c.steps / 20));
    log(`${name}: training ${c.steps} steps (weights kept every ${every})`);
    const r = await trainVision(data, config(c, name, c.seed, valSize), { model, onStep: (m, step) => { if (step % every === 0) snapshots.push(getFlat(m)); } });
    const theta0 = snapshots[0], theta = getFlat(model);
    const loss = lossProbe(model, train, stats, c.probe);
    const alphas = linspace(-0.5, 1.5, 41);
    log(`${name}: test accuracy ${(100 * r.testAcc).toFixed(2)}%; the line from init to trained (${alphas.length} points)`);
    const line = interpolate(loss, theta0, theta, alphas);
    log(`${name}: a random filter-normalised plane (${c.grid}x${c.grid})`);
    const dgen = new Generator(c.seed + 1000);
    const d1 = filterNormalisedDirection(model.parameters(), theta, dgen), d2 = filterNormalisedDirection(model.parameters(), theta, dgen);
    const random = plane(loss, theta, d1, d2, grid, grid);
    log(`${name}: the trajectory's PCA plane (${c.grid}x${c.grid})`);
    const pca = trajectoryPca(snapshots);
    const span = (k: 0 | 1) => { const v = pca.coords.map((p) => p[k]); const lo = Math.min(...v, 0), hi = Math.max(...v, 0), pad = 0.15 * (hi - lo || 1); return linspace(lo - pad, hi + pad, c.grid); };
    const trajectory = plane(loss, theta, pca.u, pca.v, span(0), span(1));
    setFlat(model, theta); // the probes wrote into the model
    models.push({ model: name, alphas, line, random, trajectory, path: pca.coords, explained: pca.explained, testAcc: r.testAcc });
  }

  // several initialisations of the first network: where do they end?
  const first = c.models[0];
  const seeds: SeedRow[] = [], finals: Float32Array[] = [];
  let probeModel = null as ReturnType<typeof buildModel> | null;
  for (let k = 0; k < c.seeds; k++) {
    const seed = c.seed + 1 + k;
    log(`${first}: seed ${seed} (${k + 1} of ${c.seeds})`);
    const r = await trainVision(data, config(c, first, seed, valSize));
    const theta = getFlat(r.model);
    finals.push(theta);
    probeModel = r.model;
    const loss = lossProbe(r.model, train, stats, c.probe)(theta);
    seeds.push({ seed, trainLoss: loss, valAcc: r.best, testAcc: r.testAcc });
  }
  const distances = finals.map((a) => finals.map((b) => relativeDistance(a, b)));
  // the loss barrier on the straight line between the first two solutions
  let barrier: number | null = null;
  if (finals.length >= 2 && probeModel) {
    const loss = lossProbe(probeModel, train, stats, c.probe);
    const line = interpolate(loss, finals[0], finals[1], linspace(0, 1, 11));
    barrier = Math.max(...line) - (line[0] + line[line.length - 1]) / 2;
  }
  const result: LandscapeResult = { models, seeds, distances, barrier, seconds: (Date.now() - started) / 1000 };
  writeLandscapePictures(run, result, c);
  return result;
}

const LABEL: Record<string, string> = { resnet: 'with skip connections (resnet)', plain: 'without (plain)', cnn: 'cnn', mlp: 'mlp' };

export function writeLandscapePictures(run: RunDir, r: LandscapeResult, c: LandscapeConfig): void {
  run.writeText('interpolation.svg', lineChart([{
    title: 'Loss on the line from initial (0) to trained (1) weights',
    x: { label: 'alpha: theta = (1 - alpha) theta_init + alpha theta_trained' },
    y: { label: `training loss (${c.probe} images)`, log: true },
    series: r.models.map((m) => ({ label: LABEL[m.model] ?? m.model, points: m.alphas.map((a, i) => [a, m.line[i]] as [number, number]) })),
    marks: [{ x: 0 }, { x: 1 }],
  }], { panelWidth: 560, panelHeight: 340, caption: 'Goodfellow, Vinyals and Saxe 2015: no bumps between start and end' }));
  run.writeText('landscape-contour.svg', contoursSvg(r.models.map((m) => ({
    surface: m.random, options: { title: LABEL[m.model] ?? m.model, xLabel: 'direction 1 (filter-normalised)', yLabel: 'direction 2' },
  })), 'Loss around the trained weights on a random filter-normalised plane (Li et al. 2018)'));
  run.writeText('landscape-surface.svg', surfacesSvg(r.models.map((m) => ({ surface: m.random, title: LABEL[m.model] ?? m.model })), 'The same planes as surfaces (height and colour: log loss)'));
  run.writeText('trajectory.svg', contoursSvg(r.models.map((m) => ({
    surface: m.trajectory,
    options: { title: LABEL[m.model] ?? m.model, xLabel: `PC 1 (${(100 * m.explained[0]).toFixed(0)}% of the path's variance)`, yLabel: `PC 2 (${(100 * m.explained[1]).toFixed(0)}%)`, path: m.path },
  })), 'The training trajectory on the plane of its two principal directions'));
  run.writeText('landscape.json', JSON.stringify({ config: c, ...r }) + '\n');
}

/** The seeds table, as printed. */
export function seedsTable(r: LandscapeResult): string {
  const rows = r.seeds.map((s, i) => [s.seed, s.trainLoss.toFixed(4), `${(100 * s.valAcc).toFixed(2)}%`, `${(100 * s.testAcc).toFixed(2)}%`,
    r.distances[i].filter((_, j) => j !== i).map((d) => d.toFixed(2)).join(' ')]);
  return formatTable(['seed', 'train loss', 'val acc', 'test acc', 'distance to the others (relative)'], rows);
}
