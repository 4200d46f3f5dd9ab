/** Which OpenBLAS kernels the native backend's loader asks for, from the kernels OpenBLAS chose and the CPU's flags. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { betterCoretype } from '../../src/backends/native/coretype.js';

const avx512 = new Set(['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512bw', 'avx512vl', 'avx512dq', 'avx512cd']);
const avx2 = new Set(['sse4_2', 'avx', 'avx2', 'fma']);

test('a generic or AVX2 choice on an AVX-512 CPU is raised to SkylakeX; AVX-512 choices stay', () => {
  for (const chosen of ['Prescott', 'Core2', 'Nehalem', 'Haswell', 'Zen', 'Unknown', 'Prescott\n']) assert.equal(betterCoretype(chosen, avx512), 'SkylakeX', chosen);
  for (const chosen of ['SkylakeX', 'Cooperlake', 'SapphireRapids', 'COOPERLAKE']) assert.equal(betterCoretype(chosen, avx512), null, chosen);
});

test('a generic choice on an AVX2 CPU is raised to Haswell; AVX2 choices and older CPUs stay', () => {
  for (const chosen of ['Prescott', 'Nehalem', 'Sandybridge']) assert.equal(betterCoretype(chosen, avx2), 'Haswell', chosen);
  for (const chosen of ['Haswell', 'Zen', 'SkylakeX']) assert.equal(betterCoretype(chosen, avx2), null, chosen);
  assert.equal(betterCoretype('Prescott', new Set(['sse4_2'])), null);
  assert.equal(betterCoretype('Prescott', new Set()), null, 'unknown flags (not Linux): leave OpenBLAS alone');
});
