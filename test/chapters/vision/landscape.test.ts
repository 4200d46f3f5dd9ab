import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator } from '../../../src/util/random.js';
import { RunDir } from '../../../src/io/rundir.js';
import { buildModel, DEFAULT_MODEL } from '../../../src/chapters/vision/model.js';
import { pixelStats } from '../../../src/chapters/vision/data.js';
import { filterNormalisedDirection, getFlat, interpolate, linspace, lossProbe, plane, relativeDistance, setFlat, trajectoryPca } from '../../../src/chapters/vision/landscape.js';
import { runLandscape } from '../../../src/chapters/vision/landscape-run.js';
import { syntheticData } from './fixtures.js';

const data = syntheticData(80, 20);

test('flat weights round trip, and the loss probe is a function of the weights alone', () => {
  const model = buildModel({ ...DEFAULT_MODEL.cnn, width: 2, hidden: 8 }, new Generator(1));
  const theta = getFlat(model);
  assert.equal(theta.length, model.numParameters());
  const loss = lossProbe(model, data.train, pixelStats(data.train), 32);
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

test('gradpath vision landscape on tiny settings writes its pictures and the seeds table', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-landscape-'));
  const lines: string[] = [];
  const r = await runLandscape({ ...data, train: { ...data.train } }, { models: ['resnet', 'plain'], width: 2, depth: 1, steps: 6, lr: 5e-3, batchSize: 8, grid: 3, probe: 16, seeds: 2, seed: 1 }, new RunDir(dir), (l) => lines.push(l));
  assert.equal(r.models.length, 2);
  for (const m of r.models) {
    assert.equal(m.random.loss.length, 3);
    assert.ok(m.line.every(Number.isFinite));
  }
  assert.equal(r.seeds.length, 2);
  assert.ok(r.distances[0][1] > 0);
  for (const f of ['interpolation.svg', 'landscape-contour.svg', 'landscape-surface.svg', 'trajectory.svg']) assert.match(readFileSync(join(dir, f), 'utf8'), /^<svg/);
});
