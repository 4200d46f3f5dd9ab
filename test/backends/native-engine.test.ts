/**
 * The native backend under the whole engine: the gradient checks and the default-backend tests
 * (a GPT forward and backward against the reference) run again in a child process with
 * GRADPATH_BACKEND=native. Choosing a backend by a wrong name, or native where it is not built,
 * is one line and a non-zero exit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nativeBuilt, NOT_BUILT } from '../../src/backends/native/index.js';
import { loadBackend } from '../../src/engine/device.js';
import { GradpathError } from '../../src/util/errors.js';

const skip = nativeBuilt() ? false : `skipped: ${NOT_BUILT}`;
if (skip) console.log(`# native-engine: ${skip}`);
const dist = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));
const cli = fileURLToPath(new URL('../../../bin/gradpath.js', import.meta.url));

test('gradient checks and the GPT forward/backward comparison pass with the native backend active', { skip }, () => {
  // without NODE_TEST_CONTEXT the child reports in plain TAP, not to this runner
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', dist('engine/gradcheck.test.js'), dist('backends/default-vs-reference.test.js')], {
    env: { ...env, GRADPATH_BACKEND: 'native' }, encoding: 'utf8', timeout: 300_000,
  });
  const fails = r.stdout.split('\n').filter((l) => l.startsWith('not ok'));
  assert.equal(r.status, 0, `${fails.join('\n')}\n${r.stderr}`);
  assert.match(r.stdout, /# pass [1-9]/);
});

test('loadBackend: native loads where built; a wrong name or an unbuilt native backend is a one-line GradpathError', async () => {
  if (nativeBuilt()) assert.equal(loadBackend('native').name, 'native');
  else assert.throws(() => loadBackend('native'), (err) => err instanceof GradpathError && err.message === NOT_BUILT);
  assert.throws(() => loadBackend('cuda'), (err) => err instanceof GradpathError && /unknown backend 'cuda'/.test(err.message));
  assert.equal(loadBackend('reference').name, 'reference');
});

test('GRADPATH_BACKEND with a wrong name: one line on stderr, non-zero exit, no stack trace', () => {
  const r = spawnSync(process.execPath, [cli, 'bench', 'matmul', '--help'], { env: { ...process.env, GRADPATH_BACKEND: 'gpu' }, encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /GRADPATH_BACKEND='gpu' is not a backend: use native, wasm, webgpu, reference/);
});
