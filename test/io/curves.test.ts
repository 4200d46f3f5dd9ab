import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunDir } from '../../src/io/rundir.js';
import { writeRunCurves } from '../../src/io/curves.js';

function tempRun(): RunDir {
  return new RunDir(mkdtempSync(join(tmpdir(), 'curves-')));
}

test('writeRunCurves draws loss per split (batch thin, evaluations marked) and an accuracy panel', () => {
  const run = tempRun();
  try {
    run.writeConfig({ kind: 'test-kind' });
    for (let step = 0; step < 50; step++) run.log({ step, split: 'batch', loss: 3 / (1 + step), lr: 0.1 });
    for (const step of [0, 25, 50]) {
      run.log({ step, split: 'train', loss: 3 / (1 + step), acc: step / 50 });
      run.log({ step, split: 'val', loss: 3.2 / (1 + step) + 0.05, acc: step / 60 });
    }
    const path = writeRunCurves(run);
    assert.equal(path, run.path('curves.svg'));
    const svg = readFileSync(path, 'utf8');
    assert.ok(svg.startsWith('<svg'));
    assert.ok(svg.includes('>test-kind<'), 'title from config.json');
    for (const label of ['>batch (training)<', '>train<', '>val<', '>loss<', '>accuracy<']) assert.ok(svg.includes(label), label);
    assert.equal((svg.match(/<polyline/g) ?? []).length, 5); // loss: batch, train, val; accuracy: train, val
    assert.equal((svg.match(/<circle/g) ?? []).length, 16); // 3 markers x 2 splits x 2 panels, and 2 legend samples per panel
    assert.ok(svg.includes('stroke-width="1"'), 'batch is a thin line');
    assert.ok(svg.includes('(log scale)'), 'a loss falling 60x gets a log axis');
  } finally {
    rmSync(run.dir, { recursive: true, force: true });
  }
});

test('writeRunCurves: population events give best and mean fitness per generation; a title may be given', () => {
  const run = tempRun();
  try {
    for (let g = 0; g < 10; g++) run.log({ step: g, split: 'population', best_fitness: g * 2, mean_fitness: g, species: 3 });
    const svg = readFileSync(writeRunCurves(run, 'NEAT <xor>'), 'utf8');
    assert.ok(svg.includes('>NEAT &lt;xor&gt;<'));
    for (const label of ['>fitness<', '>best<', '>mean<', '>generation<']) assert.ok(svg.includes(label), label);
    assert.ok(!svg.includes('>loss<'), 'no empty loss panel');
    // A line cut short (a run killed mid-write) is skipped, not fatal.
    appendFileSync(run.path('metrics.jsonl'), '{"step": 10, "split": "popu');
    assert.ok(readFileSync(writeRunCurves(run), 'utf8').includes('>best<'));
  } finally {
    rmSync(run.dir, { recursive: true, force: true });
  }
});
