import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { syllableNames, tempDir, writeLines } from './helpers.js';

const BIN = fileURLToPath(new URL('../../../../bin/gradpath.js', import.meta.url));

test('a real Ctrl-C (SIGINT) during training saves latest.safetensors and exits cleanly with 130', async () => {
  const dir = tempDir();
  const input = writeLines(dir, 'names.txt', syllableNames(200));
  const child = spawn(process.execPath, [BIN, 'makemore', '-i', input, '-o', join(dir, 'run'), '--type', 'bigram', '--max-steps', '10000000', '--num-samples', '2', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '', stdout = '', scheduled = false;
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => {
    stderr += d;
    // the run has started training once the data line is out; give it a moment, then interrupt
    // exactly once (a second SIGINT means "quit now, without saving")
    if (stderr.includes('block size') && !scheduled) {
      scheduled = true;
      setTimeout(() => child.kill('SIGINT'), 500);
    }
  });
  const code = await new Promise<number | null>((done) => child.on('close', done));
  assert.equal(code, 130, stderr);
  assert.match(stderr, /interrupted at step \d+: state saved/);
  assert.ok(existsSync(join(dir, 'run', 'latest.safetensors')));
  const summary = JSON.parse(stdout.trim().split('\n').at(-1)!);
  assert.ok(summary.steps > 0 && summary.steps < 10000000);
  assert.equal(summary.interrupted, true);
});
