/**
 * The native backend's window kernels (native/backend/src/window.cc) against the reference loops:
 * the shared suite (window-suite.ts), and native's own refusal of inconsistent geometry.
 * Skips, saying why, where the addon is not built.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBackend } from '../../src/engine/device.js';
import { nativeBuilt, NOT_BUILT } from '../../src/backends/native/index.js';
import { geometry, windowKernelTests } from './window-suite.js';

const skip = nativeBuilt() ? false : `skipped: ${NOT_BUILT}`;
if (skip) console.log(`# native-window: ${skip}`);

windowKernelTests('native', () => loadBackend('native'), skip);

test('native refuses a window geometry that would read outside the input, with one line', { skip }, () => {
  const N = loadBackend('native');
  const w = geometry(1, 1, 4, 4, [3, 3], [1, 1], [0, 0], [1, 1])!;
  assert.throws(() => N.im2col!(new Float32Array(16), { ...w, OH: 3 }, new Float32Array(9 * 9)), /inconsistent geometry/);
  assert.throws(() => N.maxPool2dBackward!(new Float32Array(4), Int32Array.of(0, 1, 16, 2), w, new Float32Array(16)), /index out of range/);
});

