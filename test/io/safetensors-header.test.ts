import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSafetensorsFile, safetensorsMetadata, saveSafetensors } from '../../src/io/safetensors.js';
import { GradpathError } from '../../src/util/errors.js';

test('header-only reads: metadata, and a whole file told from a cut, padded or garbage one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-st-'));
  try {
    const good = join(dir, 'good.safetensors');
    saveSafetensors(good, { a: { shape: [3, 17], data: new Float32Array(51).fill(1) }, b: { shape: [1], data: new Float32Array([2]) } }, { note: 'hi' });
    assert.deepEqual(safetensorsMetadata(good), { note: 'hi' });
    checkSafetensorsFile(good);
    const bytes = readFileSync(good);
    const bad = join(dir, 'bad.safetensors');
    for (const [what, content, re] of [
      ['cut', bytes.subarray(0, bytes.length - 4), /truncated/],
      ['padded', Buffer.concat([bytes, Buffer.alloc(4)]), /trailing bytes/],
      ['garbage', Buffer.from('not a checkpoint at all, just some words'), /not a safetensors file/],
      ['tiny', Buffer.from('abc'), /only 3 bytes/],
    ] as const) {
      writeFileSync(bad, content);
      assert.throws(() => checkSafetensorsFile(bad), (e: Error) => e instanceof GradpathError && re.test(e.message), what);
    }
    assert.throws(() => safetensorsMetadata(join(dir, 'missing')), /does not exist/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
