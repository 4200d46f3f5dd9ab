import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/test/chapters/micrograd/ -> repository root
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const bin = join(root, 'bin', 'gradpath.js');

function gradpath(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
}

test('gradpath micrograd --json: last stdout line parses; run directory is filled', () => {
  const out = mkdtempSync(join(tmpdir(), 'micrograd-'));
  try {
    const r = gradpath('micrograd', '--steps', '5', '--json', '--out', out);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    const summary = JSON.parse(lines[lines.length - 1]);
    assert.equal(summary.steps, 5);
    for (const key of ['final_loss', 'accuracy', 'seconds']) assert.equal(typeof summary[key], 'number', key);
    for (const f of ['config.json', 'metrics.jsonl', 'boundary.svg', 'graph.dot', 'graph.svg']) assert.ok(existsSync(join(out, f)), f);
    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(metrics.filter((m) => m.split === 'batch').length, 5);
    assert.equal(metrics.filter((m) => m.split === 'train').length, 1);
    assert.ok(existsSync(join(out, 'curves.svg')));
    assert.ok(readFileSync(join(out, 'graph.svg'), 'utf8').includes('<svg'));
    assert.ok(readFileSync(join(out, 'boundary.svg'), 'utf8').startsWith('<svg'));
    assert.equal(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).steps, 5);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('gradpath micrograd --steps 0: one-line error, exit 2', () => {
  const r = gradpath('micrograd', '--steps', '0');
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /--steps must be at least 1/);
});

test('gradpath bench micrograd --json reports the speedup fields', () => {
  const r = gradpath('bench', 'micrograd', '--steps', '3', '--repeats', '1', '--json');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const summary = JSON.parse(lines[lines.length - 1]);
  for (const key of ['steps', 'seconds', 'ms_per_step', 'nodes_per_step', 'speedup_vs_python']) assert.equal(typeof summary[key], 'number', key);
  assert.equal(summary.steps, 3);
});
