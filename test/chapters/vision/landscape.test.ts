import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator } from '../../../src/util/random.js';
import { RunDir } from '../../../src/io/rundir.js';
import { buildModel, DEFAULT_MODEL } from '../../../src/chapters/vision/model.js';
import { filterNormalisedDirection, getFlat, interpolate, linspace, plane, relativeDistance, setFlat, trajectoryPca } from '../../../src/train/landscape/weights.js';
import { runLandscape, seedsTable } from '../../../src/train/landscape/run.js';
import { visionSubject, type VisionLandscapeConfig } from '../../../src/chapters/vision/landscape-run.js';
import { makemoreMlpSubject } from '../../../src/chapters/makemore/landscape.js';
import { splitItems } from '../../../src/chapters/makemore/data.js';
import { syntheticData } from './fixtures.js';

const data = syntheticData(80, 20);
const tiny: VisionLandscapeConfig = { width: 2, depth: 1, steps: 6, lr: 5e-3, batchSize: 8, probe: 16, subset: 0 };

test('flat weights round trip, and the loss probe is a function of the weights alone', () => {
  const { model, loss } = visionSubject(data, { ...tiny, probe: 32 }, 'cnn', 1);
  const theta = getFlat(model);
  assert.equal(theta.length, model.numParameters());
  const l1 = loss(theta), l2 = loss(theta); // dropout off: the same value twice
  assert.equal(l1, l2);
  const moved = theta.map((v) => v * 2);
  assert.notEqual(loss(moved), l1);
  setFlat(model, theta);
  assert.deepEqual(getFlat(model), theta);
  // the line's ends are the two weight vectors
  const line = interpolate(loss, theta, moved, [0, 1]);
  assert.equal(line[0], l1);
  assert.equal(line[1], loss(moved));
  const s = plane(loss, theta, moved, moved, [0], [0, 1]);
  assert.equal(s.loss[0][0], l1);
});

test('a filter-normalised direction has each filter\'s norm of the weights, and leaves biases and BatchNorm alone', () => {
  const model = buildModel({ ...DEFAULT_MODEL.resnet, width: 2, depth: 1 }, new Generator(2));
  const theta = getFlat(model);
  const d = filterNormalisedDirection(model.parameters(), theta, new Generator(3));
  let o = 0;
  for (const p of model.parameters()) {
    const n = p.numel();
    if (p.ndim === 1) assert.ok(d.subarray(o, o + n).every((v) => v === 0));
    else {
      const per = n / p.shape[0];
      for (let r = 0; r < p.shape[0]; r++) {
        const s = o + r * per;
        const norm = (v: Float32Array) => Math.sqrt(v.subarray(s, s + per).reduce((a, x) => a + x * x, 0));
        assert.ok(Math.abs(norm(d) - norm(theta)) < 1e-4 * Math.max(1, norm(theta)));
      }
    }
    o += n;
  }
});

test('PCA of a trajectory finds the directions it moved along', () => {
  // points moving 3 units along e0 and 1 along e1 (plus nothing else), ending at the origin
  const P = 50, pts: Float32Array[] = [];
  for (let t = 0; t <= 10; t++) {
    const p = new Float32Array(P);
    p[0] = 3 * (10 - t) / 10;
    p[1] = 0.5 * Math.sin((Math.PI * t) / 10);
    pts.push(p);
  }
  const { u, v, coords, explained } = trajectoryPca(pts);
  // (deviations from the end point are not centred, so the directions mix a little)
  assert.ok(Math.abs(u[0]) > 0.95 && Math.abs(u[0]) ** 2 + u[1] ** 2 > 1 - 1e-6, `first direction ${u[0]}, ${u[1]}`);
  assert.ok(Math.abs(v[1]) > 0.95, `second direction ${v[1]}`);
  assert.ok(Math.abs(u.reduce((s, x, i) => s + x * v[i], 0)) < 1e-4, 'orthogonal');
  assert.ok(explained[0] > explained[1] && explained[0] + explained[1] > 0.999);
  assert.deepEqual(coords[10], [0, 0]);
  assert.ok(Math.abs(relativeDistance(pts[0], pts[10]) - 1) < 1e-6);
  assert.deepEqual(linspace(-1, 1, 3), [-1, 0, 1]);
});

test('the landscape run on tiny settings writes its pictures and the seeds table', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-landscape-'));
  const lines: string[] = [];
  const subjects = (['resnet', 'plain'] as const).map((m) => visionSubject(data, tiny, m, 1));
  const seedRuns = [2, 3].map((seed) => ({ seed, subject: visionSubject(data, tiny, 'resnet', seed) }));
  const r = await runLandscape(subjects, seedRuns, new RunDir(dir), { grid: 3, seed: 1, log: (l) => lines.push(l), config: { probe: '16 images' } });
  assert.equal(r.models.length, 2);
  assert.match(r.models[0].label, /skip connections.*7 layers/);
  for (const m of r.models) {
    assert.equal(m.random.loss.length, 3);
    assert.ok(m.line.every(Number.isFinite));
    assert.match(m.scores['test acc'], /%$/);
  }
  assert.equal(r.seeds.length, 2);
  assert.ok(r.distances[0][1] > 0);
  assert.match(seedsTable(r), /val acc.*test acc/);
  for (const f of ['interpolation.svg', 'landscape-contour.svg', 'landscape-surface.svg', 'trajectory.svg']) assert.match(readFileSync(join(dir, f), 'utf8'), /^<svg/);
});

test("makemore's MLP as a landscape subject: training lowers the probe's loss, and the line ends where training did", async () => {
  const items = Array.from({ length: 60 }, (_, i) => ['anna', 'bob', 'emma', 'otto', 'ava', 'liam', 'noah', 'mia'][i % 8] + 'abc'[i % 3]);
  const split = splitItems(items, 1);
  const s = makemoreMlpSubject(split, { steps: 30, lr: 1e-2, batchSize: 8, probe: 20 }, 4);
  const theta0 = getFlat(s.model), before = s.loss(theta0);
  const seen: number[] = [];
  const scores = await s.train((step) => seen.push(step));
  assert.equal(seen.length, 30);
  assert.ok(Number.isFinite(Number(scores['test loss'])));
  const theta = getFlat(s.model), after = s.loss(theta);
  assert.ok(after < before, `loss ${before} -> ${after}`);
  assert.deepEqual(interpolate(s.loss, theta0, theta, [0, 1]), [before, after]);
});
