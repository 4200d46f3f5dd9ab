import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../../bin/gradpath.js', import.meta.url));
const gradpath = (args: string[], cwd: string) => spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
const losses = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).map(({ step, split, loss }) => ({ step, split, loss }));

test('makemore --config RUN/config.json repeats the run: same input file, same schedule, same losses', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-config-'));
  writeFileSync(join(dir, 'few.txt'), Array.from({ length: 120 }, (_, i) => `name${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + ((i * 7) % 26))}`).join('\n'));
  const first = gradpath(['makemore', '-i', 'few.txt', '--type', 'bigram', '--max-steps', '20', '--eval-every', '10', '-o', 'a'], dir);
  assert.equal(first.status, 0, first.stderr);
  const again = gradpath(['makemore', '--config', 'a/config.json', '-o', 'b'], dir);
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(losses(join(dir, 'b')), losses(join(dir, 'a')));
  assert.ok(losses(join(dir, 'a')).some((e) => e.split === 'test' && e.step === 10), 'the evaluation schedule came along');
});
