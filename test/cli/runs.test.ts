import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunDir } from '../../src/io/rundir.js';

const bin = join(fileURLToPath(new URL('../../../', import.meta.url)), 'bin', 'gradpath.js');
const gradpath = (...args: string[]) => spawnSync(process.execPath, [bin, 'runs', ...args], { encoding: 'utf8' });

/** Two finished runs and one in a nested folder, plus a folder that is no run. */
function makeRuns(): string {
  const root = mkdtempSync(join(tmpdir(), 'runs-'));
  const a = new RunDir(join(root, 'alpha'));
  a.writeConfig({ command: 'micrograd', seed: 3, steps: 20, lr: 0.5 });
  for (let s = 0; s < 20; s++) a.log({ step: s, split: 'batch', loss: 2 - s * 0.05, acc: s / 20 });
  a.log({ step: 20, split: 'train', loss: 0.9, acc: 1 });
  const b = new RunDir(join(root, 'grid', 'beta'));
  b.writeConfig({ kind: 'makemore', type: 'mlp', seed: 1 });
  for (const [s, l] of [[0, 3.3], [100, 2.4], [200, 2.5]]) b.log({ step: s, split: 'val', loss: l });
  const n = new RunDir(join(root, 'neat'));
  n.writeConfig({ command: 'neat xor' });
  for (let g = 0; g < 5; g++) n.log({ step: g, split: 'population', best_fitness: 10 + g, mean_fitness: 5 + g });
  mkdirSync(join(root, 'not-a-run'));
  return root;
}

test('gradpath runs DIR: one row per run directory, with kind, settings, steps, best/last loss per split', () => {
  const root = makeRuns();
  try {
    const r = gradpath(root);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 2 + 3, r.stdout);
    const alpha = lines.find((l) => l.includes('| alpha '))!;
    assert.match(alpha, /micrograd/);
    assert.match(alpha, /seed=3 steps=20 lr=0\.5/);
    assert.match(alpha, /\| 1\.050 \/ 1\.050 +\| 0\.9000 \/ 0\.9000 /); // batch best/last, train best/last
    const beta = lines.find((l) => l.includes('grid/beta'))!;
    assert.match(beta, /makemore .*type=mlp seed=1/);
    assert.match(beta, /\| 2\.400 \/ 2\.500 /); // val: best 2.4 at step 100, last 2.5
    assert.match(lines.find((l) => l.includes('| neat '))!, /\| 14 +\|/); // best fitness
    assert.ok(!r.stdout.includes('not-a-run'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('gradpath runs --json: the same as an array', () => {
  const root = makeRuns();
  try {
    const r = gradpath(root, '--json');
    assert.equal(r.status, 0, r.stderr);
    const runs = JSON.parse(r.stdout);
    assert.deepEqual(runs.map((x: { name: string }) => x.name).sort(), ['alpha', 'grid/beta', 'neat']);
    const beta = runs.find((x: { name: string }) => x.name === 'grid/beta');
    assert.deepEqual(beta.loss.val, { best: 2.4, bestStep: 100, last: 2.5, lastStep: 200, evaluations: 3 });
    assert.equal(beta.steps, 200);
    assert.equal(typeof beta.elapsed, 'number');
    assert.match(beta.started, /^\d{4}-\d\d-\d\dT/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('gradpath runs compare A B -o FILE: both runs on one picture', () => {
  const root = makeRuns();
  try {
    const out = join(root, 'ab.svg');
    const r = gradpath('compare', join(root, 'alpha'), join(root, 'grid', 'beta'), '-o', out);
    assert.equal(r.status, 0, r.stderr);
    const svg = readFileSync(out, 'utf8');
    for (const label of ['>alpha batch<', '>alpha train<', '>beta val<', '>accuracy<']) assert.ok(svg.includes(label), label);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('gradpath runs: missing, empty and non-run directories and broken metrics are one-line errors', () => {
  const root = makeRuns();
  try {
    const cases: [string[], RegExp][] = [
      [[join(root, 'nope')], /nope does not exist/],
      [[join(root, 'not-a-run')], /no run directories under .*not-a-run/],
      [['compare', join(root, 'alpha'), join(root, 'not-a-run')], /not-a-run is not a run directory: it has no metrics\.jsonl/],
      [['compare', join(root, 'missing')], /missing does not exist/],
      [['compare'], /give the run directories/],
    ];
    writeFileSync(join(root, 'neat', 'metrics.jsonl'), '{"step": 0}\n{"step": 1, "lo');
    cases.push([[root], /neat.metrics\.jsonl:2 is not a JSON line/]);
    for (const [args, message] of cases) {
      const r = gradpath(...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /^gradpath runs/);
      assert.match(r.stderr, message);
    }
    assert.ok(!existsSync(join(root, 'missing')), 'reading does not create directories');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
