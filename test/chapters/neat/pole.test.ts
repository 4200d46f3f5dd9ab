import { test } from 'node:test';
import assert from 'node:assert/strict';
import { balance, generalisationStarts, initialPoleState, poleFailed, poleInputCount, stepPole } from '../../../src/chapters/neat/tasks/pole.js';
import type { Network } from '../../../src/chapters/neat/network.js';

test('cart-pole physics: an uncontrolled pole falls away from vertical, mirrored states mirror', () => {
  const s = initialPoleState(1);
  const m = initialPoleState(1);
  m.theta[0] = -s.theta[0];
  let steps = 0;
  while (!poleFailed(s) && steps < 10_000) {
    stepPole(s, 0);
    stepPole(m, 0);
    steps++;
    assert.ok(Math.abs(s.theta[0] + m.theta[0]) < 1e-12 && Math.abs(s.x + m.x) < 1e-12);
  }
  assert.ok(s.theta[0] > 0.6 && steps < 200, `fell over after ${steps} steps`);
  // Pushing the cart right tips the pole left (negative angle), as the equations say.
  const p = initialPoleState(2);
  p.theta = [0, 0];
  stepPole(p, 10);
  stepPole(p, 10);
  assert.ok(p.xDot > 0 && p.theta[0] < 0 && p.theta[1] < 0);
});

test('pole tasks: input counts, a do-nothing controller fails, 625 generalisation starts', () => {
  assert.equal(poleInputCount({ poles: 1, velocities: true }), 4);
  assert.equal(poleInputCount({ poles: 2, velocities: true }), 6);
  assert.equal(poleInputCount({ poles: 2, velocities: false }), 3);
  const idle: Network = { activate: () => [0.5], reset: () => {} };
  const { steps } = balance(idle, { poles: 2, velocities: true });
  assert.ok(steps > 0 && steps < 1000);
  assert.equal(generalisationStarts().length, 625);
});
