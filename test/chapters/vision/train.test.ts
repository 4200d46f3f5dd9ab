import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunDir } from '../../../src/io/rundir.js';
import { trainVision, type VisionConfig } from '../../../src/chapters/vision/train.js';
import { DEFAULT_MODEL } from '../../../src/chapters/vision/model.js';
import { getFlat } from '../../../src/train/landscape/weights.js';
import { writeRunPictures } from '../../../src/chapters/vision/show.js';
import { syntheticData } from './fixtures.js';

const data = syntheticData();
const cnn: VisionConfig = { ...DEFAULT_MODEL.cnn, width: 4, hidden: 16, steps: 24, batchSize: 16, lr: 5e-3, weightDecay: 0, warmupSteps: 2, seed: 3, evalEvery: 12, valSize: 20, augment: false };

test('the CNN learns the synthetic classes, logs train/val/test, and a resumed run ends bit for bit where an uninterrupted one does', async () => {
  const dirA = mkdtempSync(join(tmpdir(), 'gp-vision-a-'));
  const a = await trainVision(data, cnn, { run: new RunDir(dirA) });
  assert.ok(a.testAcc > 0.5, `test accuracy ${a.testAcc} after ${a.steps} steps`);
  const events = readFileSync(join(dirA, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(events.some((e) => e.split === 'val' && e.step === 12));
  assert.equal(events.filter((e) => e.split === 'test').length, 1, 'the test set is measured once, at the end');

  const dirB = mkdtempSync(join(tmpdir(), 'gp-vision-b-'));
  let stopAt = 10;
  const { setInterruptRequested } = await import('../../../src/util/interrupt.js');
  const b1 = await trainVision(data, cnn, { run: new RunDir(dirB), onStep: (_m, step) => { if (step === stopAt) setInterruptRequested(true); } });
  setInterruptRequested(false);
  stopAt = -1;
  assert.ok(b1.interrupted);
  const b2 = await trainVision(data, cnn, { run: new RunDir(dirB), resume: true });
  assert.equal(b2.steps, cnn.steps);
  assert.deepEqual(getFlat(b2.model), getFlat(a.model));
  assert.equal(b2.testAcc, a.testAcc);

  // the pictures of the run: valid SVG documents
  const names = writeRunPictures(new RunDir(dirA), data, a.model, a.stats, { valSize: cnn.valSize });
  assert.deepEqual(names.sort(), ['activations.svg', 'confusion.svg', 'features.svg', 'filters.svg', 'neighbours.svg', 'top-images.svg']);
  for (const n of names) assert.match(readFileSync(join(dirA, n), 'utf8'), /^<svg[^]*<\/svg>\n$/);
});

test('the MLP baseline trains through the same loop', async () => {
  const r = await trainVision(data, { ...cnn, ...DEFAULT_MODEL.mlp, width: 32, hidden: 16, steps: 30 });
  assert.ok(r.testAcc > 0.3, `test accuracy ${r.testAcc}`);
});
