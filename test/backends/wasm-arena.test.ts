/**
 * The arena in the kernels' memory: blocks are reused by size, recycled blocks come back
 * zeroed, views alias the wasm memory at their address (also after the memory grows), and a
 * memory that cannot grow answers -1 / null so callers fall back to ordinary arrays.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../src/backends/wasm/arena.js';
import { WA } from '../../src/backends/wasm/wasm-api.js';
import { addressOf, allocFloats, initWasm, shutdownWasm } from '../../src/backends/wasm/index.js';
import { BufferPool, floats } from '../../src/engine/pool.js';
import { withBackend } from '../../src/engine/device.js';
import { referenceBackend } from '../../src/backends/reference/index.js';

after(() => shutdownWasm());

const memory = (pages: number, maximum: number) => new WA.Memory({ initial: pages, maximum, shared: true });

test('arena: blocks are 64-byte aligned, reused by size, and a recycled block comes back zeroed', () => {
  const arena = new Arena(memory(1, 64), 100);
  const a = arena.alloc(1000), b = arena.alloc(1000);
  assert.ok(a >= 100 && a % 64 === 0 && b % 64 === 0);
  assert.ok(b >= a + 1000, 'blocks do not overlap');
  arena.release(a, 1000);
  assert.equal(arena.alloc(1000), a, 'a released block of the same size comes back');
  assert.notEqual(arena.alloc(2000), a, 'a block of another size does not');
  const f = arena.floats(300)!;
  f.fill(3);
  const at = arena.address(f);
  arena.release(at, 4 * 300); // as the finalizer would once f is collected
  const g = arena.floats(300)!;
  assert.equal(arena.address(g), at);
  assert.ok(g.every((v) => v === 0), 'recycled storage is zeroed');
});

test('arena: views alias the wasm memory at their address, before and after the memory grows', () => {
  const mem = memory(1, 64);
  const arena = new Arena(mem, 0);
  const x = arena.floats(17)!;
  x[5] = 42;
  assert.equal(new Float32Array(mem.buffer)[(arena.address(x) >>> 2) + 5], 42);
  const big = arena.floats(5 * 65536)!; // grows the memory: memory.buffer is a new object now
  assert.ok(mem.buffer.byteLength > 65536);
  x[6] = 7;
  big[0] = 9;
  const whole = new Float32Array(mem.buffer);
  assert.equal(whole[(arena.address(x) >>> 2) + 6], 7, 'the old view still aliases the memory');
  assert.equal(whole[arena.address(big) >>> 2], 9);
  assert.equal(arena.address(x.subarray(3)), arena.address(x) + 12, 'a subarray is resident too, at its own address');
  assert.equal(arena.address(new Float32Array(4)), -1, 'an ordinary array is not resident');
});

test('arena: a memory that cannot grow answers -1 and null, and keeps working', () => {
  const arena = new Arena(memory(1, 2), 0);
  assert.equal(arena.alloc(3 * 65536), -1);
  assert.equal(arena.floats(3 * 16384), null);
  const small = arena.floats(100);
  assert.ok(small && small.length === 100, 'what fits is still handed out');
});

test('the wasm backend: allocFloats is resident; without room the pool falls back to ordinary arrays', async () => {
  await initWasm({ threads: 2 });
  const x = allocFloats(5000)!;
  assert.ok(addressOf(x) > 0);
  assert.equal(addressOf(new Float32Array(5000)), -1);
  const full = { ...referenceBackend, allocFloats: () => null };
  const pool = new BufferPool();
  const buf = withBackend(full, () => pool.run(() => floats(5000)));
  assert.ok(buf instanceof Float32Array && buf.length === 5000 && addressOf(buf) === -1);
  const resident = withBackend({ ...referenceBackend, allocFloats }, () => pool.run(() => floats(6000)));
  assert.ok(addressOf(resident) > 0, 'with room, pooled storage is in the kernels\' memory');
});
