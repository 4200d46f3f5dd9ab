import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLabServer } from '../../src/cli/lab.js';
import { RunDir } from '../../src/io/rundir.js';
import { GradpathError } from '../../src/util/errors.js';

const bin = join(fileURLToPath(new URL('../../../', import.meta.url)), 'bin', 'gradpath.js');

/** A stand-in for the built lab (the server's behaviour does not depend on what the pages are) and a folder of one run. */
function fixture(): { root: string; labDir: string; runs: string } {
  const root = mkdtempSync(join(tmpdir(), 'lab-server-'));
  const labDir = join(root, 'lab');
  mkdirSync(join(labDir, 'assets'), { recursive: true });
  writeFileSync(join(labDir, 'index.html'), '<!doctype html><title>lab</title>');
  writeFileSync(join(labDir, 'assets', 'k.wasm'), new Uint8Array([0, 97, 115, 109]));
  writeFileSync(join(root, 'secret.txt'), 'outside the lab');
  const run = new RunDir(join(root, 'runs', 'alpha'));
  run.writeConfig({ kind: 'micrograd', steps: 3 });
  for (let s = 0; s < 3; s++) run.log({ step: s, split: 'batch', loss: 1 - s / 10 });
  writeFileSync(join(root, 'runs', 'alpha', 'latest.safetensors'), 'checkpoint bytes');
  writeFileSync(join(root, 'runs', 'alpha', 'other.safetensors'), 'not served');
  mkdirSync(join(root, 'runs', 'alpha', 'best.safetensors')); // a folder by that name is no checkpoint
  return { root, labDir, runs: join(root, 'runs') };
}

test('gradpath lab server: pages with the cross-origin isolation headers, wasm typed, nothing outside the build', async () => {
  const f = fixture();
  const server = await startLabServer({ port: 0, labDir: f.labDir, runRoots: [f.runs] });
  try {
    const home = await fetch(server.url);
    assert.equal(home.status, 200);
    assert.equal(home.headers.get('cross-origin-opener-policy'), 'same-origin');
    assert.equal(home.headers.get('cross-origin-embedder-policy'), 'require-corp');
    assert.match(await home.text(), /<title>lab/);
    assert.equal((await fetch(server.url + 'assets/k.wasm')).headers.get('content-type'), 'application/wasm');
    assert.equal((await fetch(server.url + 'nope.html')).status, 404);
    assert.equal((await fetch(server.url + '..%2fsecret.txt')).status, 404);
    assert.equal((await fetch(server.url + '%2e%2e/secret.txt')).status, 404);
    assert.equal((await fetch(server.url + 'api/runs')).headers.get('cross-origin-embedder-policy'), 'require-corp');
  } finally {
    await server.close();
    rmSync(f.root, { recursive: true, force: true });
  }
});

test('gradpath lab server: /api/runs lists the run directories and serves their metrics and the two checkpoints, nothing else', async () => {
  const f = fixture();
  const server = await startLabServer({ port: 0, labDir: f.labDir, runRoots: [f.runs] });
  try {
    const runs = (await (await fetch(server.url + 'api/runs')).json()) as { name: string; kind: string; files: string[] }[];
    assert.equal(runs.length, 1);
    assert.match(runs[0].name, /alpha$/);
    assert.equal(runs[0].kind, 'micrograd');
    assert.deepEqual(runs[0].files, ['config.json', 'metrics.jsonl', 'latest.safetensors']);
    const metrics = await (await fetch(server.url + 'api/runs/0/0/metrics.jsonl')).text();
    assert.equal(metrics.trim().split('\n').length, 3);
    const ckpt = await fetch(server.url + 'api/runs/0/0/latest.safetensors');
    assert.equal(ckpt.status, 200);
    assert.equal(await ckpt.text(), 'checkpoint bytes');
    assert.equal((await fetch(server.url + 'api/runs/0/0/other.safetensors')).status, 404);
    assert.equal((await fetch(server.url + 'api/runs/0/0/best.safetensors')).status, 404);
    assert.equal((await fetch(server.url + 'api/runs/0/0/..%2f..%2f..%2fsecret.txt')).status, 404);
    assert.equal((await fetch(server.url + 'api/runs/0/0/latest.safetensors', { method: 'PUT', body: 'x' })).status, 405);
    assert.equal((await fetch(server.url + 'api/runs/0/7/metrics.jsonl')).status, 404);
  } finally {
    await server.close();
    rmSync(f.root, { recursive: true, force: true });
  }
});

test('gradpath lab server: isolate false sends no isolation headers (a plain static host)', async () => {
  const f = fixture();
  const server = await startLabServer({ port: 0, labDir: f.labDir, isolate: false });
  try {
    const home = await fetch(server.url);
    assert.equal(home.status, 200);
    assert.equal(home.headers.get('cross-origin-opener-policy'), null);
  } finally {
    await server.close();
    rmSync(f.root, { recursive: true, force: true });
  }
});

test('gradpath lab server: /api/data lists and serves the datasets on this machine, never downloading', async () => {
  const f = fixture();
  const saved = { data: process.env.GRADPATH_DATA_DIR, cache: process.env.GRADPATH_CACHE_DIR };
  process.env.GRADPATH_DATA_DIR = join(f.root, 'data');
  process.env.GRADPATH_CACHE_DIR = join(f.root, 'cache');
  mkdirSync(join(f.root, 'data'));
  writeFileSync(join(f.root, 'data', 'names.txt'), 'emma\nolivia\n');
  const server = await startLabServer({ port: 0, labDir: f.labDir });
  try {
    assert.deepEqual(await (await fetch(server.url + 'api/data')).json(), ['names.txt']);
    assert.equal(await (await fetch(server.url + 'api/data/names.txt')).text(), 'emma\nolivia\n');
    assert.equal((await fetch(server.url + 'api/data/tinyshakespeare.txt')).status, 404);
    assert.equal((await fetch(server.url + 'api/data/passwd')).status, 404);
  } finally {
    await server.close();
    for (const [k, v] of [['GRADPATH_DATA_DIR', saved.data], ['GRADPATH_CACHE_DIR', saved.cache]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(f.root, { recursive: true, force: true });
  }
});

test('gradpath lab: an unbuilt lab and a missing run folder are one-line errors', async () => {
  const f = fixture();
  try {
    await assert.rejects(startLabServer({ port: 0, labDir: join(f.root, 'none') }), (e: Error) => e instanceof GradpathError && /npm run build:lab/.test(e.message));
    const r = spawnSync(process.execPath, [bin, 'lab', '--port', '0', join(f.root, 'no-runs')], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /no-runs does not exist/);
  } finally {
    rmSync(f.root, { recursive: true, force: true });
  }
});
