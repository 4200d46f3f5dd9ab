/**
 * The backend starts on first use: importing gradpath starts no worker thread and keeps nothing
 * alive, require() works (no top-level await anywhere), and setBackend/withBackend switch it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBackend, setBackend, withBackend, tensor } from '../../src/engine/index.js';
import { defaultBackendName } from '../../src/engine/device.js';
import { referenceBackend } from '../../src/backends/reference/index.js';

const indexUrl = new URL('../../src/index.js', import.meta.url).href;
const stateUrl = new URL('../../src/backends/wasm/state.js', import.meta.url).href;

function runNode(args: string[], env: Record<string, string> = {}, status = 0) {
  const base = { ...process.env };
  delete base.GRADPATH_BACKEND;
  const res = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 30000, env: { ...base, ...env } });
  assert.equal(res.signal, null, `timed out: something kept the process alive\n${res.stderr}`);
  assert.equal(res.status, status, res.stderr);
  return res;
}

test('importing gradpath starts no worker, and the process exits on its own', () => {
  // the wasm state (workers and all) is probed before and after the first op, in the same module instance
  const script = `const g = await import(${JSON.stringify(indexUrl)});
    const s = await import(${JSON.stringify(stateUrl)});
    console.log(s.wasmState() === null ? 'idle' : 'started');
    if (process.argv.includes('--compute')) { g.randn([200, 200]).matmul(g.randn([200, 200])); console.log(s.wasmState() === null ? 'idle' : 'started'); }`;
  const t0 = performance.now();
  const idle = runNode(['--input-type=module', '-e', script]);
  const ms = performance.now() - t0;
  assert.equal(idle.stdout.trim(), 'idle');
  assert.equal(idle.stderr, '');
  assert.ok(ms < 20000, `took ${ms.toFixed(0)} ms`);
  // the probe sees a started backend, and workers (2 threads: one of them) still let it exit
  const used = runNode(['--input-type=module', '-e', script, '--', '--compute'], { GRADPATH_THREADS: '2', GRADPATH_BACKEND: 'wasm' });
  assert.deepEqual(used.stdout.trim().split('\n'), ['idle', 'started']);
});

test('require() of the library works and runs a matmul on the default backend (native where built, else wasm)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradpath-require-'));
  try {
    const file = join(dir, 'use.cjs');
    writeFileSync(file, `const g = require(${JSON.stringify(fileURLToPath(indexUrl))});
      const a = g.tensor([[1, 2], [3, 4]]);
      console.log(JSON.stringify(a.matmul(a).tolist()), g.getBackend().name);\n`);
    const res = runNode([file]);
    assert.equal(res.stdout.trim(), `[[7,10],[15,22]] ${defaultBackendName()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GRADPATH_BACKEND picks the backend at first use; an unknown name is a one-line error', () => {
  const script = `const g = await import(${JSON.stringify(indexUrl)});
    const s = await import(${JSON.stringify(stateUrl)});
    g.tensor([1, 2]).add(1); console.log(g.getBackend().name, s.wasmState() === null ? 'idle' : 'started');`;
  assert.equal(runNode(['--input-type=module', '-e', script], { GRADPATH_BACKEND: 'reference' }).stdout.trim(), 'reference idle');
  const odd = runNode(['--input-type=module', '-e', script], { GRADPATH_BACKEND: 'cuda' }, 1);
  assert.match(odd.stderr, /GRADPATH_BACKEND='cuda' is not a backend: use native, wasm, webgpu, reference/);
});

test('without built kernels the default falls back to the reference backend with a one-line warning', () => {
  // a copy of the compiled library with no kernels/ beside it
  const dir = mkdtempSync(join(tmpdir(), 'gradpath-nokernels-'));
  try {
    cpSync(fileURLToPath(new URL('../../src/', import.meta.url)), join(dir, 'src'), { recursive: true });
    const index = new URL(`file://${join(dir, 'src', 'index.js')}`).href;
    const script = `const g = await import(${JSON.stringify(index)});
      console.log(JSON.stringify(g.tensor([[1, 2]]).matmul(g.tensor([[3], [4]])).tolist()), g.getBackend().name);`;
    const res = runNode(['--input-type=module', '-e', script]);
    assert.equal(res.stdout.trim(), '[[11]] reference');
    assert.match(res.stderr, /^gradpath: WebAssembly kernels unavailable \(wasm backend: cannot read the kernels in .*\); using the slower reference backend\. Run `npm run build` to build them\.\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a native build that does not load: the default gives way to wasm with a one-line note; asking for native is a one-line error', () => {
  // a copy of the compiled library (as dist/src) beside a build/native holding a file that is no addon
  const dir = mkdtempSync(join(tmpdir(), 'gradpath-badnative-'));
  try {
    cpSync(fileURLToPath(new URL('../../src/', import.meta.url)), join(dir, 'dist', 'src'), { recursive: true });
    mkdirSync(join(dir, 'build', 'native'), { recursive: true });
    writeFileSync(join(dir, 'build', 'native', 'gradpath_native.node'), 'not a shared library');
    const index = new URL(`file://${join(dir, 'dist', 'src', 'index.js')}`).href;
    const script = `const g = await import(${JSON.stringify(index)});
      console.log(JSON.stringify(g.tensor([[1, 2]]).matmul(g.tensor([[3], [4]])).tolist()), g.getBackend().name);`;
    const res = runNode(['--input-type=module', '-e', script]);
    assert.equal(res.stdout.trim().split(' ')[0], '[[11]]');
    assert.match(res.stderr.split('\n')[0], /^gradpath: the native backend failed to load \(.*\): rebuild it with `gradpath native build`; using the wasm backend\.$/);
    const asked = runNode(['--input-type=module', '-e', script], { GRADPATH_BACKEND: 'native' }, 1);
    assert.match(asked.stderr, /the native backend failed to load/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('setBackend and withBackend switch every op, and withBackend restores the previous one', () => {
  const before = getBackend();
  const calls: string[] = [];
  const spy = { ...referenceBackend, name: 'spy', binary: (...args: Parameters<typeof referenceBackend.binary>) => {
    calls.push(args[0]);
    referenceBackend.binary(...args);
  } };
  const y = withBackend(spy, () => {
    assert.equal(getBackend().name, 'spy');
    return tensor([1, 2]).mul(3);
  });
  assert.deepEqual(y.tolist(), [3, 6]);
  assert.deepEqual(calls, ['mul']);
  assert.equal(getBackend(), before);
  setBackend(spy);
  try {
    tensor([1]).sub(1);
    assert.deepEqual(calls, ['mul', 'sub']);
  } finally {
    setBackend(before);
  }
  assert.equal(getBackend(), before);
});
