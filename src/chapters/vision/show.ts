import { noGrad } from '../../engine/autograd.js';
import { Tensor } from '../../engine/tensor.js';
import type { RunDir } from '../../io/rundir.js';
import { FASHION_CLASSES, type FashionMnist, type ImageSet } from '../../data/fashion-mnist.js';
import { batchOf, inOrder, type PixelStats } from './data.js';
import type { VisionNet } from './model.js';
import { confusionSvg, tileGrid, type Tile, type TileRow } from './pictures.js';
import { evaluateSet, splitTrain } from './train.js';

/**
 * What a trained network sees, as pictures (AlexNet's paper, figures 3 and 4, and Zeiler and
 * Fergus 2014, at Fashion-MNIST's scale): the first layer's filters, activation maps of each
 * layer for one image, the images that excite chosen channels most, images made by gradient
 * ascent on the input, nearest neighbours in the last hidden layer, and the confusion matrix.
 */

const short = (c: number) => FASHION_CLASSES[c].replace('T-shirt/top', 'T-shirt').replace('Ankle boot', 'Boot');

function imageTile(set: ImageSet, i: number, caption?: string, captionColor?: string): Tile {
  const px = set.height * set.width;
  return { values: set.images.subarray(i * px, (i + 1) * px), h: set.height, w: set.width, caption, captionColor };
}

/** The first layer's weights as images: a conv's 3x3 (or larger) kernels, or an MLP's first units as 28x28 templates. */
export function filtersSvg(model: VisionNet): string {
  const [name, w] = model.namedParameters().find(([, p]) => p.ndim === 4 || p.ndim === 2)!;
  const v = w.floatValues();
  const tiles: Tile[] = [];
  if (w.ndim === 4) {
    const [O, C, kh, kw] = w.shape;
    for (let o = 0; o < O; o++) tiles.push({ values: v.subarray(o * C * kh * kw, o * C * kh * kw + kh * kw), h: kh, w: kw, caption: String(o) });
  } else {
    const units = Math.min(32, w.shape[0]);
    for (let o = 0; o < units; o++) tiles.push({ values: v.subarray(o * 784, (o + 1) * 784), h: 28, w: 28, caption: String(o) });
  }
  const rows: TileRow[] = [];
  for (let i = 0; i < tiles.length; i += 16) rows.push({ tiles: tiles.slice(i, i + 16) });
  const scale = w.ndim === 4 ? Math.max(4, Math.floor(40 / w.shape[2])) : 2;
  return tileGrid(rows, { title: `First-layer weights (${name}, ${w.shape.join('x')})`, subtitle: 'red positive, blue negative; each filter on its own scale', scale, colormap: 'diverging', normalise: 'tile' });
}

/** Each layer's output channels for one image (conv layers as maps; vectors as one row). */
export function activationsSvg(model: VisionNet, set: ImageSet, index: number, stats: PixelStats): string {
  const { x } = batchOf(set, [index], stats);
  const stages = noGrad(() => model.trace(x));
  const rows: TileRow[] = [{ label: `input (${short(set.labels[index])})`, tiles: [imageTile(set, index)] }];
  for (const { name, out } of stages) {
    const v = out.floatValues();
    if (out.ndim === 4) {
      const [, C, H, W] = out.shape;
      const tiles = Array.from({ length: Math.min(C, 32) }, (_, c) => ({ values: v.subarray(c * H * W, (c + 1) * H * W), h: H, w: W }));
      for (let i = 0; i < tiles.length; i += 16) rows.push({ label: i === 0 ? `${name} (${C}x${H}x${W})` : '', tiles: tiles.slice(i, i + 16) });
    } else {
      const n = out.shape[1], side = Math.ceil(Math.sqrt(n));
      const padded = new Float32Array(side * side); padded.set(v);
      rows.push({ label: `${name} (${n})`, tiles: [{ values: padded, h: side, w: side }] });
    }
  }
  const scale = 3;
  return tileGrid(rows, { title: `Activations for test image ${index}`, subtitle: 'after each block; brighter is more active; each map on its own scale', scale, colormap: 'grey', normalise: 'tile' });
}

/** Mean activation of each channel of a stage over a set, (count, channels). */
function channelMeans(model: VisionNet, set: ImageSet, stats: PixelStats, stage: string, limit: number): { means: Float32Array; channels: number } {
  let means = new Float32Array(0), channels = 0;
  noGrad(() => {
    for (const { x, start } of inOrder(set, 250, stats, limit)) {
      const out = model.trace(x).find((s) => s.name === stage)!.out;
      const B = out.shape[0];
      channels = out.shape[1];
      if (!means.length) means = new Float32Array(Math.min(limit, set.count) * channels);
      const v = out.floatValues(), per = out.numel() / (B * channels);
      for (let b = 0; b < B; b++) for (let c = 0; c < channels; c++) {
        let s = 0;
        const o = (b * channels + c) * per;
        for (let k = 0; k < per; k++) s += v[o + k];
        means[(start + b) * channels + c] = s / per;
      }
    }
  });
  return { means, channels };
}

/** For chosen channels of a conv stage: the images (of a set) that excite each one most. */
export function topImagesSvg(model: VisionNet, set: ImageSet, stats: PixelStats, stage: string, channelCount: number, perChannel = 8): string {
  const limit = Math.min(set.count, 5000);
  const { means, channels } = channelMeans(model, set, stats, stage, limit);
  const rows: TileRow[] = [];
  for (let c = 0; c < Math.min(channelCount, channels); c++) {
    const order = Array.from({ length: limit }, (_, i) => i).sort((a, b) => means[b * channels + c] - means[a * channels + c]);
    rows.push({ label: `${stage} ch ${c}`, tiles: order.slice(0, perChannel).map((i) => imageTile(set, i, short(set.labels[i]))) });
  }
  return tileGrid(rows, { title: `Images that excite channels of ${stage} most`, subtitle: `top ${perChannel} of ${limit} held-out images by mean activation`, scale: 2, colormap: 'grey', normalise: 'tile' });
}

/**
 * Feature visualisation: for each class, an input made by gradient ascent on that class's logit,
 * starting from grey, with a small L2 pull towards grey and a blur every few steps (without
 * some such prior the ascent finds high-frequency noise: Olah et al. 2017).
 */
export function visualiseClasses(model: VisionNet, steps = 200, lr = 0.05): Float32Array[] {
  const n = 10, px = 784;
  const xv = new Float32Array(n * px);
  for (let i = 0; i < xv.length; i++) xv[i] = 0.01 * Math.sin(i * 12.9898) ; // a fixed tiny pattern, no randomness needed
  for (let s = 0; s < steps; s++) {
    const x = new Tensor(xv, [n, 1, 28, 28]).setRequiresGrad();
    const logits = model.forward(x); // (10, 10)
    const onehot = new Tensor(Float32Array.from({ length: n * 10 }, (_, k) => (k % 11 === 0 ? 1 : 0)), [n, 10]);
    logits.mul(onehot).sum().backward();
    const g = x.grad!.floatValues();
    for (let b = 0; b < n; b++) {
      let norm = 0;
      for (let i = 0; i < px; i++) norm += g[b * px + i] ** 2;
      const k = lr / (Math.sqrt(norm / px) + 1e-8);
      for (let i = 0; i < px; i++) xv[b * px + i] = 0.995 * (xv[b * px + i] + k * g[b * px + i]);
    }
    if (s % 10 === 9) blur(xv, n);
  }
  return Array.from({ length: n }, (_, b) => xv.slice(b * px, (b + 1) * px));
}

function blur(xv: Float32Array, n: number): void {
  const t = new Float32Array(784);
  for (let b = 0; b < n; b++) {
    const o = b * 784;
    for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
      let s = 0, c = 0;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const yy = y + dy, xx = x + dx;
        if (yy < 0 || yy >= 28 || xx < 0 || xx >= 28) continue;
        const w = dx === 0 && dy === 0 ? 4 : 1;
        s += w * xv[o + yy * 28 + xx]; c += w;
      }
      t[y * 28 + x] = s / c;
    }
    xv.set(t, o);
  }
}

export function featuresSvg(model: VisionNet): string {
  const images = visualiseClasses(model);
  return tileGrid([{ tiles: images.map((v, c) => ({ values: v, h: 28, w: 28, caption: short(c) })) }],
    { title: 'What maximises each class (gradient ascent on the input)', subtitle: '200 normalised ascent steps from grey, L2 decay and a blur every 10', scale: 3, colormap: 'grey', normalise: 'tile' });
}

/** Features of the embedding stage for the first `limit` images of a set, (limit, D). */
function embed(model: VisionNet, set: ImageSet, stats: PixelStats, limit: number): { f: Float32Array; D: number } {
  const parts: Float32Array[] = [];
  let D = 0;
  noGrad(() => {
    for (const { x } of inOrder(set, 250, stats, limit)) {
      const out = model.trace(x).find((s) => s.name === model.embeddingStage)!.out;
      D = out.numel() / out.shape[0];
      parts.push(out.floatValues().slice());
    }
  });
  const f = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { f.set(p, o); o += p.length; }
  return { f, D };
}

/** AlexNet's figure 4 idea: test images and their nearest held-out images in the last hidden layer's space (Euclidean). */
export function neighboursSvg(model: VisionNet, queries: ImageSet, pool: ImageSet, stats: PixelStats, queryIdx: number[], k = 7): string {
  const P = Math.min(pool.count, 5000);
  const { f: pf, D } = embed(model, pool, stats, P);
  const rows: TileRow[] = [];
  for (const q of queryIdx) {
    const one: ImageSet = { ...queries, images: queries.images.subarray(q * 784, (q + 1) * 784), labels: queries.labels.subarray(q, q + 1), count: 1 };
    const { f: qf } = embed(model, one, stats, 1);
    const dist = Array.from({ length: P }, (_, i) => {
      let s = 0;
      for (let d = 0; d < D; d++) s += (pf[i * D + d] - qf[d]) ** 2;
      return s;
    });
    const order = dist.map((_, i) => i).sort((a, b) => dist[a] - dist[b]).slice(0, k);
    rows.push({ tiles: [imageTile(queries, q, `query: ${short(queries.labels[q])}`), ...order.map((i) => imageTile(pool, i, short(pool.labels[i]), pool.labels[i] === queries.labels[q] ? '#333' : '#d62728'))] });
  }
  return tileGrid(rows, { title: `Nearest neighbours in ${model.embeddingStage}'s space`, subtitle: `first column a test image, then its ${k} nearest of ${P} held-out training images (red: another class)`, scale: 2, colormap: 'grey', normalise: 'tile' });
}

export function confusionCounts(labels: ArrayLike<number>, predictions: ArrayLike<number>, classes = 10): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < predictions.length; i++) m[labels[i]][predictions[i]]++;
  return m;
}

/** All the pictures of a trained run, written into its directory; returns the file names. */
export function writeRunPictures(run: RunDir, data: FashionMnist, model: VisionNet, stats: PixelStats, o: { valSize?: number; image?: number; log?: (l: string) => void } = {}): string[] {
  model.eval();
  const { val } = splitTrain(data.train, o.valSize ?? Math.min(5000, data.train.count - 1));
  const held = val.count ? val : data.train;
  const image = Math.min(o.image ?? 0, data.test.count - 1);
  const test = evaluateSet(model, data.test, stats);
  const files: [string, () => string][] = [
    ['filters.svg', () => filtersSvg(model)],
    ['activations.svg', () => activationsSvg(model, data.test, image, stats)],
    ['confusion.svg', () => confusionSvg(confusionCounts(data.test.labels, test.predictions), FASHION_CLASSES.map((_, c) => short(c)), `Confusion matrix on ${data.test.count} test images (accuracy ${(100 * test.acc).toFixed(2)}%)`)],
    ['features.svg', () => featuresSvg(model)],
    ['neighbours.svg', () => neighboursSvg(model, data.test, held, stats, Array.from({ length: Math.min(6, data.test.count) }, (_, i) => (i * 7) % data.test.count))],
  ];
  const convStage = model.trace(batchOf(data.test, [0], stats).x).filter((s) => s.out.ndim === 4).map((s) => s.name).pop();
  if (convStage) files.push(['top-images.svg', () => topImagesSvg(model, held, stats, convStage, 8)]);
  for (const [name, make] of files) {
    run.writeText(name, make());
    o.log?.(`wrote ${name}`);
  }
  model.train();
  return files.map(([n]) => n);
}
