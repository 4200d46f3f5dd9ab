import type { Module } from '../../nn/module.js';
import type { RunDir } from '../../io/rundir.js';
import { lineChart } from '../../util/chart.js';
import { formatTable } from '../../util/format.js';
import { Generator } from '../../util/random.js';
import { filterNormalisedDirection, getFlat, interpolate, linspace, plane, relativeDistance, setFlat, trajectoryPca, type Surface } from './weights.js';
import { contoursSvg, surfacesSvg } from './plot.js';

/**
 * A loss landscape measured for any network a chapter can train: the line from its initial to
 * its trained weights, a random filter-normalised plane around the trained weights (contour and
 * surface), and the plane of its training trajectory with the path on it; then several
 * initialisations of one network, and where they end. The chapter supplies the subject (its
 * model, how to train it, the loss of a fixed batch); this module measures and draws.
 */
export interface LandscapeSubject {
  /** Short name (the --models entry), and the label its pictures carry. */
  name: string;
  label: string;
  /** The network, freshly initialised: its weights now are theta_init. */
  model: Module;
  steps: number;
  /** Trains the model in place, calling onStep after every step; resolves to the scores it reports (e.g. test accuracy), formatted. */
  train(onStep: (step: number) => void): Promise<Record<string, string>>;
  /** The loss at the weights theta (weightsLoss over a fixed batch). */
  loss(theta: Float32Array): number;
}

export interface SubjectLandscape {
  model: string;
  label: string;
  scores: Record<string, string>;
  alphas: number[];
  line: number[];
  random: Surface;
  trajectory: Surface;
  path: [number, number][];
  explained: [number, number];
}

export interface SeedRow { seed: number; trainLoss: number; scores: Record<string, string> }

export interface LandscapeResult {
  models: SubjectLandscape[];
  seeds: SeedRow[];
  distances: number[][];
  /** The loss barrier on the straight line between the first two seeds' solutions (null: fewer than two). */
  barrier: number | null;
  seconds: number;
}

export interface LandscapeOptions {
  /** Points per side of each 2-D grid. */
  grid: number;
  /** Seed of the random directions (plus 1000). */
  seed: number;
  log: (line: string) => void;
}

/** Trains the subject, keeping its weights 21 times along the way, and measures its landscape. */
export async function measureLandscape(s: LandscapeSubject, o: LandscapeOptions): Promise<SubjectLandscape> {
  const snapshots = [getFlat(s.model)];
  const every = Math.max(1, Math.floor(s.steps / 20));
  o.log(`${s.name}: training ${s.steps} steps (weights kept every ${every})`);
  const scores = await s.train((step) => { if (step % every === 0) snapshots.push(getFlat(s.model)); });
  const theta0 = snapshots[0], theta = getFlat(s.model);
  const alphas = linspace(-0.5, 1.5, 41);
  o.log(`${s.name}: ${Object.entries(scores).map(([k, v]) => `${k} ${v}`).join(', ')}; the line from init to trained (${alphas.length} points)`);
  const line = interpolate(s.loss, theta0, theta, alphas);
  o.log(`${s.name}: a random filter-normalised plane (${o.grid}x${o.grid})`);
  const dgen = new Generator(o.seed + 1000);
  const params = s.model.parameters();
  const d1 = filterNormalisedDirection(params, theta, dgen), d2 = filterNormalisedDirection(params, theta, dgen);
  const grid = linspace(-1, 1, o.grid);
  const random = plane(s.loss, theta, d1, d2, grid, grid);
  o.log(`${s.name}: the trajectory's PCA plane (${o.grid}x${o.grid})`);
  const pca = trajectoryPca(snapshots);
  const span = (k: 0 | 1) => {
    const v = pca.coords.map((p) => p[k]);
    const lo = Math.min(...v, 0), hi = Math.max(...v, 0), pad = 0.15 * (hi - lo || 1);
    return linspace(lo - pad, hi + pad, o.grid);
  };
  const trajectory = plane(s.loss, theta, pca.u, pca.v, span(0), span(1));
  setFlat(s.model, theta); // the probes wrote into the model
  return { model: s.name, label: s.label, scores, alphas, line, random, trajectory, path: pca.coords, explained: pca.explained };
}

/** Trains one network from several initialisations: where do they end, how far apart, and what lies between the first two. */
export async function compareSeeds(runs: { seed: number; subject: LandscapeSubject }[], log: (l: string) => void): Promise<Pick<LandscapeResult, 'seeds' | 'distances' | 'barrier'>> {
  const rows: SeedRow[] = [], finals: Float32Array[] = [];
  let last: LandscapeSubject | null = null;
  for (const [k, { seed, subject: s }] of runs.entries()) {
    log(`${s.name}: seed ${seed} (${k + 1} of ${runs.length})`);
    const scores = await s.train(() => {});
    const theta = getFlat(s.model);
    finals.push(theta);
    rows.push({ seed, trainLoss: s.loss(theta), scores });
    last = s;
  }
  const distances = finals.map((a) => finals.map((b) => relativeDistance(a, b)));
  let barrier: number | null = null;
  if (finals.length >= 2 && last) {
    const line = interpolate(last.loss, finals[0], finals[1], linspace(0, 1, 11));
    barrier = Math.max(...line) - (line[0] + line[line.length - 1]) / 2;
  }
  return { seeds: rows, distances, barrier };
}

/**
 * The whole measurement: each subject's landscape, then the seed runs (one network from several
 * initialisations), the pictures and landscape.json written into run.
 */
export async function runLandscape(subjects: LandscapeSubject[], seedRuns: { seed: number; subject: LandscapeSubject }[], run: RunDir,
  o: LandscapeOptions & { config: { probe: string } & Record<string, unknown> }): Promise<LandscapeResult> {
  const started = Date.now();
  const models: SubjectLandscape[] = [];
  for (const s of subjects) models.push(await measureLandscape(s, o));
  const r: LandscapeResult = { models, ...(await compareSeeds(seedRuns, o.log)), seconds: 0 };
  r.seconds = (Date.now() - started) / 1000;
  writeLandscapePictures(run, r, o.config);
  return r;
}

/** interpolation.svg, landscape-contour.svg, landscape-surface.svg, trajectory.svg and landscape.json. */
export function writeLandscapePictures(run: RunDir, r: LandscapeResult, config: { probe: string } & Record<string, unknown>): void {
  run.writeText('interpolation.svg', lineChart([{
    title: 'Loss on the line from initial (0) to trained (1) weights',
    x: { label: 'alpha: theta = (1 - alpha) theta_init + alpha theta_trained' },
    y: { label: `training loss (${config.probe})`, log: true },
    series: r.models.map((m) => ({ label: m.label, points: m.alphas.map((a, i) => [a, m.line[i]] as [number, number]) })),
    marks: [{ x: 0 }, { x: 1 }],
  }], { panelWidth: 560, panelHeight: 340, caption: 'Goodfellow, Vinyals and Saxe 2015: no bumps between start and end' }));
  run.writeText('landscape-contour.svg', contoursSvg(r.models.map((m) => ({
    surface: m.random, options: { title: m.label, xLabel: 'direction 1 (filter-normalised)', yLabel: 'direction 2' },
  })), 'Loss around the trained weights on a random filter-normalised plane (Li et al. 2018)'));
  run.writeText('landscape-surface.svg', surfacesSvg(r.models.map((m) => ({ surface: m.random, title: m.label })), 'The same planes as surfaces (height and colour: log loss)'));
  run.writeText('trajectory.svg', contoursSvg(r.models.map((m) => ({
    surface: m.trajectory,
    options: { title: m.label, xLabel: `PC 1 (${(100 * m.explained[0]).toFixed(0)}% of the path's variance)`, yLabel: `PC 2 (${(100 * m.explained[1]).toFixed(0)}%)`, path: m.path },
  })), 'The training trajectory on the plane of its two principal directions'));
  run.writeText('landscape.json', JSON.stringify({ config, ...r }) + '\n');
}

/** The seeds table, as printed. */
export function seedsTable(r: Pick<LandscapeResult, 'seeds' | 'distances'>): string {
  const keys = Object.keys(r.seeds[0]?.scores ?? {});
  const rows = r.seeds.map((s, i) => [s.seed, s.trainLoss.toFixed(4), ...keys.map((k) => s.scores[k]),
    r.distances[i].filter((_, j) => j !== i).map((d) => d.toFixed(2)).join(' ')]);
  return formatTable(['seed', 'train loss', ...keys, 'distance to the others (relative)'], rows);
}

/** One line per network: the line's ends, whether it falls monotonically, and the random plane's range. */
export function summaryLine(m: SubjectLandscape): string {
  const flat = m.random.loss.flat(), mid = (m.random.loss.length - 1) / 2 | 0;
  const inside = m.line.filter((_, i) => m.alphas[i] >= 0 && m.alphas[i] <= 1);
  let rises = 0;
  for (let i = 1; i < inside.length; i++) if (inside[i] > inside[i - 1] + 1e-4) rises++;
  return `${m.model}: ${Object.entries(m.scores).map(([k, v]) => `${k} ${v}`).join(', ')}; line init->trained: loss ${m.line[m.alphas.indexOf(0)].toFixed(3)} -> ${m.line[m.alphas.indexOf(1)].toFixed(3)}, ` +
    `monotone on [0, 1]: ${rises === 0 ? 'yes' : `no (${rises} rises)`}; random plane: centre ${m.random.loss[mid][mid].toFixed(3)}, min ${Math.min(...flat).toFixed(3)}, max ${Math.max(...flat).toFixed(3)}`;
}
