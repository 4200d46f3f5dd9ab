import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSyntheticFolder } from '../chapters/vision/fixtures.js';

/** `gradpath vision` end to end on generated images, and its answers to bad input: one line, exit 2, no trace. */
const BIN = fileURLToPath(new URL('../../../bin/gradpath.js', import.meta.url));
const run = (args: string[]) => spawnSync(process.execPath, [BIN, 'vision', ...args], { encoding: 'utf8', timeout: 180_000, env: { ...process.env, GRADPATH_OFFLINE: '1', CI: '1' } });

function refused(args: string[], pattern: RegExp): void {
  const r = run(args);
  assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${args.join(' ')}: one line expected, got\n${r.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

test('vision train, then show, on a generated Fashion-MNIST look-alike', () => {
  const data = writeSyntheticFolder(60, 20);
  const out = join(mkdtempSync(join(tmpdir(), 'gp-vision-cli-')), 'run');
  const r = run(['train', '-i', data, '--max-steps', '4', '--width', '2', '--hidden', '8', '--batch-size', '8', '--val-size', '10', '-o', out, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(summary.steps, 4);
  assert.ok(summary.test_acc >= 0 && summary.test_acc <= 1);
  for (const f of ['best.safetensors', 'latest.safetensors', 'metrics.jsonl', 'confusion.svg', 'filters.svg']) assert.ok(existsSync(join(out, f)), f);
  const s = run(['show', out, '-i', data, '--image', '3']);
  assert.equal(s.status, 0, s.stderr);
  assert.match(s.stdout, /activations\.svg/);
  // the finished run is not overwritten by accident
  refused(['train', '-i', data, '--max-steps', '4', '-o', out], /already holds a run/);
});

test('vision: bad input gets one clear line and exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-vision-bad-'));
  const wrongSize = writeSyntheticFolder(20, 10, 32);
  const corrupt = writeSyntheticFolder(20, 10);
  writeFileSync(join(corrupt, 'train-images-idx3-ubyte'), 'not an idx file at all');
  refused(['train', '--model', 'vgg'], /vgg/);
  refused(['train', '-i', join(dir, 'missing'), '-o', join(dir, 'c')], /no such folder/);
  refused(['train', '-i', dir, '-o', join(dir, 'd')], /missing train-images-idx3-ubyte/);
  refused(['train', '-i', wrongSize, '-o', join(dir, 'a')], /32x32; this model needs 28x28/);
  refused(['train', '-i', corrupt, '-o', join(dir, 'b')], /not an IDX file/);
  refused(['show', join(dir, 'nothing-here')], /no best\.safetensors/);
  refused(['landscape', '--models', 'resnet,vgg', '-o', join(dir, 'e')], /unknown model 'vgg'/);
  assert.ok(['a', 'b', 'c', 'd', 'e'].every((d) => !existsSync(join(dir, d))), 'a refused run leaves no directory behind');
});

test("vision landscape --models makemore-mlp on a small names file, then --redraw from its landscape.json", () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-vision-landscape-'));
  const names = join(dir, 'names.txt');
  writeFileSync(names, Array.from({ length: 40 }, (_, i) => ['anna', 'bob', 'emma', 'otto', 'liam'][i % 5] + 'xyz'[i % 3]).join('\n') + '\n');
  const out = join(dir, 'mlp');
  const r = run(['landscape', '--models', 'makemore-mlp', '--names', names, '--max-steps', '8', '--grid', '3', '--probe', '8', '--seeds', '2', '-o', out, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(summary.models[0].model, 'makemore-mlp');
  assert.ok(summary.models[0].line_end < summary.models[0].line_start, 'training lowered the loss');
  assert.equal(summary.seeds.length, 2);
  for (const f of ['interpolation.svg', 'landscape-contour.svg', 'landscape-surface.svg', 'trajectory.svg', 'landscape.json']) assert.ok(existsSync(join(out, f)), f);
  const again = run(['landscape', '--redraw', '-o', out]);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /redrew the pictures/);
});
