/**
 * --dp and --zero on the commands: refused in one line outside an MPI job (naming the command to
 * launch), and `gradpath launch -n 2 -- chargpt --dp 2 --zero 2` end to end, giving the
 * evaluation one process gives, with only rank 0 writing the run directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, mpiSkip, runLaunch } from './mpi.js';
import { textFile } from './resume-helpers.js';

const skip = mpiSkip();
if (skip) console.log(`# skipping the data-parallel CLI run: ${skip}`);

function gradpath(args: string[]) {
  const env = { ...process.env };
  for (const k of ['OMPI_COMM_WORLD_SIZE', 'PMI_SIZE', 'PMIX_RANK', 'PMI_RANK']) delete env[k];
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });
  return { code: r.status, out: (r.stdout + r.stderr).trim() };
}

test('--dp outside an MPI job: one line naming the command to launch', () => {
  const r = gradpath(['chargpt', '--preset', 'cpu', '--dp', '2', '--max-steps', '1']);
  assert.equal(r.code, 2, r.out);
  assert.equal(r.out, '--dp 2 needs an MPI job; launch 2 ranks: `gradpath launch -n 2 -- chargpt --preset cpu --dp 2 --max-steps 1` (or `mpirun -np 2 npx gradpath chargpt --preset cpu --dp 2 --max-steps 1`)');
  const z = gradpath(['gpt2', 'train', '--data', '.', '--zero', '4']);
  assert.equal(z.code, 2, z.out);
  assert.equal(z.out, '--zero must be 0, 1, 2 or 3; got 4');
});

test('gradpath launch -n 2 -- chargpt --dp 2 --zero 2 evaluates as one process does; rank 0 alone writes', { skip, timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradpath-ddp-cli-'));
  const input = textFile(dir);
  const flags = ['chargpt', '-i', input, '--n-layer', '2', '--n-head', '2', '--n-embd', '32', '--block-size', '16', '--batch-size', '8', '--max-steps', '8', '--eval-every', '4', '--eval-iters', '2', '--lr', '3e-3', '--warmup-iters', '2', '--num-samples', '0', '--quiet'];
  const one = gradpath([...flags, '-o', join(dir, 'one')]);
  assert.equal(one.code, 0, one.out);
  const r = await runLaunch(['-n', '2', '--', ...flags, '-o', join(dir, 'two'), '--dp', '2', '--zero', '2']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const final = (s: string) => /step 8: train loss (\S+), val loss (\S+)/.exec(s)?.slice(1).map(Number);
  const want = final(one.out), got = final(r.stderr);
  assert.ok(want && got, `no final evaluation:\n${one.out}\n${r.stderr}`);
  for (let i = 0; i < 2; i++) assert.ok(Math.abs(want[i] - got[i]) <= 2e-4, `losses ${got} vs one process ${want} (printed to 4 decimals)`);
  assert.doesNotMatch(r.stderr, /\[rank 1\]/, 'rank 1 printed');
  assert.match(r.stderr, /ZeRO-2 on 2 ranks/);
  // one writer: every evaluation once in metrics.jsonl
  const evals = readFileSync(join(dir, 'two', 'metrics.jsonl'), 'utf8').trim().split('\n').filter((l) => l.includes('"split":"val"'));
  assert.equal(evals.length, 2);
});
