/** The distributed commands' messages when something is missing: one line, non-zero exit, no stack. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BIN } from './mpi.js';

function gradpath(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

test('a missing addon is one line saying what to install and to run gradpath dist build', () => {
  const r = gradpath(['dist', 'status'], { GRADPATH_MPI_ADDON: '/nonexistent/gradpath_mpi.node' });
  assert.equal(r.code, 1);
  assert.match(r.out, /addon: +gradpath: the MPI addon is not built \(\/nonexistent\/gradpath_mpi.node is missing\); install MPI with `apt-get install openmpi-bin libopenmpi-dev`, then run `gradpath dist build`/);
  assert.doesNotMatch(r.out, /\n\s+at /, 'no stack trace');
});

test('dist build without an MPI compiler says what to install', () => {
  const r = gradpath(['dist', 'build'], { MPICXX: '/nonexistent/mpicxx', GRADPATH_MPI_ADDON: '/nonexistent/gradpath_mpi.node' });
  assert.equal(r.code, 2);
  assert.equal(r.out.trim(), "gradpath dist build: the MPI C++ compiler '/nonexistent/mpicxx' was not found; install MPI with `apt-get install openmpi-bin libopenmpi-dev`");
});

test('launch: -n and a command are required; a command\'s --help after -- is not launch\'s', () => {
  let r = gradpath(['launch', '--', 'bench', 'allreduce']);
  assert.equal(r.code, 2);
  assert.equal(r.out.trim(), 'gradpath launch: -n N is required (the number of ranks)');
  r = gradpath(['launch', '-n', '2']);
  assert.equal(r.code, 2);
  assert.match(r.out.trim(), /^gradpath launch: no command given/);
  r = gradpath(['launch', '-n', '2', '--', 'missing-script.js']);
  assert.equal(r.code, 2);
  assert.equal(r.out.trim(), 'gradpath launch: script missing-script.js not found');
  r = gradpath(['launch', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.out, /--comm-timeout S/);
});
