/**
 * Where no WebGPU adapter exists, `--backend webgpu` and GRADPATH_BACKEND=webgpu stop a command
 * with one line naming the problem and a non-zero exit (Vulkan pointed at a driver file that does
 * not exist stands for a machine without a GPU).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = fileURLToPath(new URL('../../../../bin/gradpath.js', import.meta.url));
const env = { ...process.env, VK_ICD_FILENAMES: '/nonexistent/no_icd.json', GRADPATH_BACKEND: '' };

function run(args: string[], extra: Record<string, string> = {}): { status: number | null; lastLine: string; stderr: string } {
  const res = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...env, ...extra } });
  const lines = res.stderr.trim().split('\n');
  return { status: res.status, lastLine: lines[lines.length - 1], stderr: res.stderr };
}

test('no adapter: --backend webgpu is one line and a non-zero exit', () => {
  const r = run(['bench', 'matmul', '--backend', 'webgpu']);
  assert.notEqual(r.status, 0);
  assert.match(r.lastLine, /webgpu: no WebGPU adapter is available/);
  assert.doesNotMatch(r.stderr, /GradpathError|at .*\.js:\d+/, 'no stack trace of ours');
});

test('no adapter: GRADPATH_BACKEND=webgpu is one line and a non-zero exit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradpath-webgpu-'));
  try {
    writeFileSync(join(dir, 'names.txt'), 'emma\nolivia\nava\n');
    const r = run(['makemore', '--type', 'bigram', '--max-steps', '1', '-i', join(dir, 'names.txt'), '-o', join(dir, 'run')], { GRADPATH_BACKEND: 'webgpu' });
    assert.notEqual(r.status, 0);
    assert.match(r.lastLine, /webgpu: no WebGPU adapter is available/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
