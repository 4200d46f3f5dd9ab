import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunDir } from '../../src/io/rundir.js';

test('resumeAt keeps the metrics up to the checkpoint step and continues the clock', () => {
  const root = mkdtempSync(join(tmpdir(), 'gradpath-rundir-'));
  try {
    const run = new RunDir(join(root, 'run'));
    for (const step of [10, 20, 30]) run.log({ step, split: 'batch', loss: 1 / step });
    run.log({ step: 20, split: 'val', loss: 0.5 });
    const resumed = new RunDir(run.dir);
    resumed.resumeAt(20, 100);
    assert.deepEqual(resumed.readMetrics().map((e) => [e.step, e.split]), [[10, 'batch'], [20, 'batch'], [20, 'val']]);
    assert.ok(resumed.elapsed() >= 100 && resumed.elapsed() < 110);
    resumed.log({ step: 30, split: 'batch', loss: 0.1 });
    assert.equal(resumed.readMetrics().at(-1)!.step, 30);
    new RunDir(join(root, 'empty')).resumeAt(5, 0); // no metrics.jsonl yet: nothing to trim
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
