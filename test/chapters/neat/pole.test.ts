import { test } from 'node:test';
import assert from 'node:assert/strict';
import { POLE, balance, generalisationStarts, initialPoleState, poleFailed, poleInputCount, stepPole } from '../../../src/chapters/neat/tasks/pole.js';
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

test('cart-pole integration: a step is 0.02 s of fourth-order Runge-Kutta, as in the NEAT code', () => {
  // the same 0.02 s by many tiny explicit Euler steps (the derivative recomputed by stepPole itself)
  const rk = initialPoleState(2), fine = initialPoleState(2);
  rk.thetaDot = [0.3, -1];
  fine.thetaDot = [0.3, -1];
  stepPole(rk, 7);
  const saved = { dt: POLE.dt, substeps: POLE.substeps };
  POLE.dt = 0.02 / 20000;
  POLE.substeps = 1;
  try {
    // one RK4 step over a tiny dt is exact to far below the tolerance: 20,000 of them cover 0.02 s
    for (let i = 0; i < 20000; i++) stepPole(fine, 7);
  } finally {
    POLE.dt = saved.dt;
    POLE.substeps = saved.substeps;
  }
  const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-5 * (1 + Math.abs(b)), `${what}: ${a} vs ${b}`); // two Euler steps of 0.01 s miss theta2 by 0.01
  near(rk.x, fine.x, 'x');
  near(rk.xDot, fine.xDot, "x'");
  for (let i = 0; i < 2; i++) {
    near(rk.theta[i], fine.theta[i], `theta${i + 1}`);
    near(rk.thetaDot[i], fine.thetaDot[i], `theta${i + 1}'`);
  }
  assert.ok(Math.abs(rk.xDot - 0.02 * 7 / 1.1) < 0.05, 'the force moved the cart');
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
