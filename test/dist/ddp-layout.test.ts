/**
 * Data parallelism's pure parts, without MPI: gradient buckets in reverse parameter order under
 * the size cap, every rank's piece of a bucket covering each parameter exactly once, and the
 * Playbook's memory and communication formulas.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../../src/engine/tensor.js';
import { bucketsBySize, pieceSegments, pieceShardSpecs } from '../../src/dist/flat-buckets.js';
import { playbookCommBytes, playbookMemory } from '../../src/dist/zero-memory.js';

const param = (n: number) => new Tensor(new Float32Array(n), [n]).setRequiresGrad();
const named = [17, 3, 65, 1, 127, 40].map((n, i) => [`p${i}`, param(n)] as [string, Tensor]);

test('buckets are filled in reverse parameter order, each within the cap (a larger parameter alone)', () => {
  const buckets = bucketsBySize(named, 100 * 4, 3);
  assert.deepEqual(buckets.map((b) => b.entries.map((e) => e.name)), [['p5'], ['p4'], ['p3', 'p2', 'p1', 'p0']]);
  for (const b of buckets) {
    assert.equal(b.padded % 3, 0);
    assert.ok(b.padded - b.numel < 3);
    assert.equal(b.piece * 3, b.padded);
  }
});

test('the ranks\' pieces cover every element of every parameter exactly once', () => {
  for (const ranks of [1, 2, 3, 4]) {
    const buckets = bucketsBySize(named, 64 * 4, ranks);
    const count = new Map(named.map(([name, p]) => [name, new Uint8Array(p.numel())]));
    for (let r = 0; r < ranks; r++) {
      for (const spec of pieceShardSpecs(buckets, r)) {
        const c = count.get(spec.name)!;
        for (let i = spec.flat!.start; i < spec.flat!.start + spec.flat!.length; i++) c[i]++;
      }
      for (const b of buckets) for (const s of pieceSegments(b, r)) assert.ok(s.from >= r * b.piece && s.to <= (r + 1) * b.piece);
    }
    for (const [name, c] of count) assert.ok(c.every((v) => v === 1), `${ranks} ranks: ${name} not covered once`);
  }
});

test('the Playbook formulas: 16Ψ for DDP down to 16Ψ/N for ZeRO-3; ZeRO-3 sends 1.5x DDP', () => {
  const psi = 1000, n = 4;
  assert.deepEqual(playbookMemory(psi, n, 0), { params: 4000, grads: 4000, optimizer: 8000, total: 16000 });
  assert.equal(playbookMemory(psi, n, 1).total, 4000 + 4000 + 2000);
  assert.equal(playbookMemory(psi, n, 2).total, 4000 + 3000);
  assert.equal(playbookMemory(psi, n, 3).total, 4000);
  assert.equal(playbookCommBytes(psi, n, 0), 2 * 0.75 * 4000);
  assert.equal(playbookCommBytes(psi, n, 2), playbookCommBytes(psi, n, 0));
  assert.equal(playbookCommBytes(psi, n, 3), 1.5 * playbookCommBytes(psi, n, 0));
});
