/**
 * oneDNN's JIT GEMM kernels (GRADPATH_GEMM=onednn) point the stack pointer into the heap while
 * they run, so a signal arriving then corrupts the heap (native/backend/src/matmul.cc blocks
 * asynchronous signals around them). A child process runs GEMMs under `node --cpu-prof` at a
 * fast sampling rate (SIGPROF every 50 us) and must exit cleanly; without the blocking it aborted
 * with glibc's heap-corruption messages every time. Skips where the build has no oneDNN.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeBuilt, NOT_BUILT } from '../../src/backends/native/index.js';

const native = fileURLToPath(new URL('../../src/backends/native/index.js', import.meta.url));
const env = { ...process.env, GRADPATH_GEMM: 'onednn', GRADPATH_THREADS: '2' };

function child(code: string, args: string[] = []) {
  return spawnSync(process.execPath, [...args, '--input-type=module', '-e', code], { env, encoding: 'utf8', timeout: 120_000 });
}

const gemm = nativeBuilt() ? child(`import { loadNative } from ${JSON.stringify(native)}; console.log(loadNative().info().gemm);`).stdout.trim() : '';
const skip = !nativeBuilt() ? `skipped: ${NOT_BUILT}` : gemm !== 'oneDNN' ? 'skipped: this native build has no oneDNN (apt-get install libdnnl-dev, then gradpath native build)' : false;
if (skip) console.log(`# native-onednn-signals: ${skip}`);

test('oneDNN GEMMs survive a sampling profiler\'s signals (node --cpu-prof)', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradpath-prof-'));
  try {
    const code = `import { loadNative } from ${JSON.stringify(native)};
      const b = loadNative();
      for (const [m, k, n, tb] of [[768, 128, 512, false], [768, 512, 128, true], [384, 96, 33, false]]) {
        const x = new Float32Array(m * k).fill(0.5), w = new Float32Array(k * n).fill(0.25), out = new Float32Array(m * n);
        for (let i = 0; i < 300; i++) { b.matmul(x, w, out, 1, m, k, n, false, tb, 0, 0); const junk = Array.from({ length: 64 }, () => new Float32Array(1000)); }
        if (out[0] !== k * 0.125) throw new Error('wrong product ' + out[0]);
      }
      console.log('done');`;
    const r = child(code, ['--cpu-prof', '--cpu-prof-interval', '50', '--cpu-prof-dir', dir]);
    assert.equal(r.status, 0, `exit ${r.status} (signal ${r.signal}): ${r.stderr}`);
    assert.match(r.stdout, /done/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
