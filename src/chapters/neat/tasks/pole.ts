import type { Network } from '../network.js';
import type { FitnessResult } from '../population.js';

/**
 * Cart-pole balancing with one or two poles on one cart, with the equations of motion of
 * Wieland (1991) used by the NEAT paper (constants and integration as in the original NEAT
 * code: the network acts every 0.02 s, two fourth-order Runge-Kutta steps of 0.01 s). A run
 * fails when the cart leaves the track (|x| > 2.4 m) or a pole leans past 36 degrees; it
 * succeeds after 100,000 steps (2,000 simulated seconds).
 */
export const POLE = {
  gravity: -9.8, // negative: the original code's sign convention, the equations below match it
  cartMass: 1.0,
  poleMass: [0.1, 0.01],
  halfLength: [0.5, 0.05],
  poleFriction: 0.000002,
  forceMagnitude: 10,
  dt: 0.01,
  /** Integration steps of dt per control step (the network acts every 0.02 s). */
  substeps: 2,
  trackLimit: 2.4,
  failureAngle: (36 * Math.PI) / 180,
  initialAngle: 0.07, // the long pole starts ~4 degrees off vertical, as in the NEAT code
  successSteps: 100_000,
};

export interface PoleState {
  x: number;
  xDot: number;
  theta: number[];
  thetaDot: number[];
}

export function initialPoleState(poles: 1 | 2): PoleState {
  return { x: 0, xDot: 0, theta: poles === 2 ? [POLE.initialAngle, 0] : [POLE.initialAngle], thetaDot: poles === 2 ? [0, 0] : [0] };
}

/**
 * The paper's generalisation test for the no-velocity task (after Gruau et al.): 625 starts, x,
 * x', theta1, theta1' each at 5%, 25%, 50%, 75% and 95% of their range; a controller generalises
 * if it then balances 1,000 steps from at least 200 of them.
 */
export function generalisationStarts(): PoleState[] {
  const levels = [0.05, 0.25, 0.5, 0.75, 0.95];
  const at = (range: number, f: number) => -range + 2 * range * f;
  const deg = Math.PI / 180;
  const starts: PoleState[] = [];
  for (const a of levels) for (const b of levels) for (const c of levels) for (const d of levels) {
    starts.push({ x: at(2.16, a), xDot: at(1.35, b), theta: [at(3.6 * deg, c), 0], thetaDot: [at(8.6 * deg, d), 0] });
  }
  return starts;
}

export function generalisationScore(network: Network): number {
  let good = 0;
  for (const start of generalisationStarts()) {
    if (balance(network, { poles: 2, velocities: false }, 1000, undefined, start).steps >= 1000) good++;
  }
  return good;
}

/** Scratch for the integrator (state vectors are [x, x', theta1, theta1', theta2, theta2']). */
const Y = new Float64Array(6), YT = new Float64Array(6), K1 = new Float64Array(6), K2 = new Float64Array(6), K3 = new Float64Array(6), K4 = new Float64Array(6);

/** Time derivative of the state y (n poles) under `force`: Wieland's equations, as in the NEAT code. */
function derivative(y: Float64Array, n: number, force: number, dy: Float64Array): void {
  const g = POLE.gravity;
  let effectiveForce = 0;
  let effectiveMass = 0;
  for (let i = 0; i < n; i++) {
    const m = POLE.poleMass[i], l = POLE.halfLength[i], th = y[2 + 2 * i], thDot = y[3 + 2 * i];
    const sin = Math.sin(th), cos = Math.cos(th);
    const friction = (POLE.poleFriction * thDot) / (m * l);
    effectiveForce += m * l * thDot * thDot * sin + 0.75 * m * cos * (friction + g * sin);
    effectiveMass += m * (1 - 0.75 * cos * cos);
  }
  const xAcc = (force + effectiveForce) / (POLE.cartMass + effectiveMass);
  dy[0] = y[1];
  dy[1] = xAcc;
  for (let i = 0; i < n; i++) {
    const m = POLE.poleMass[i], l = POLE.halfLength[i], th = y[2 + 2 * i], thDot = y[3 + 2 * i];
    const friction = (POLE.poleFriction * thDot) / (m * l);
    dy[2 + 2 * i] = thDot;
    dy[3 + 2 * i] = (-0.75 * (xAcc * Math.cos(th) + g * Math.sin(th) + friction)) / l;
  }
}

/** y += h * k, into YT. */
function offset(y: Float64Array, k: Float64Array, h: number, len: number): Float64Array {
  for (let j = 0; j < len; j++) YT[j] = y[j] + h * k[j];
  return YT;
}

/**
 * One control step under `force` (newtons, positive pushes the cart right): the force is held
 * for 0.02 s, integrated with two fourth-order Runge-Kutta steps of 0.01 s, as the NEAT code's
 * performAction does (so 100,000 steps are 2,000 simulated seconds).
 */
export function stepPole(s: PoleState, force: number): void {
  const n = s.theta.length, len = 2 + 2 * n, h = POLE.dt;
  Y[0] = s.x;
  Y[1] = s.xDot;
  for (let i = 0; i < n; i++) {
    Y[2 + 2 * i] = s.theta[i];
    Y[3 + 2 * i] = s.thetaDot[i];
  }
  for (let sub = 0; sub < POLE.substeps; sub++) {
    derivative(Y, n, force, K1);
    derivative(offset(Y, K1, h / 2, len), n, force, K2);
    derivative(offset(Y, K2, h / 2, len), n, force, K3);
    derivative(offset(Y, K3, h, len), n, force, K4);
    for (let j = 0; j < len; j++) Y[j] += (h / 6) * (K1[j] + 2 * K2[j] + 2 * K3[j] + K4[j]);
  }
  s.x = Y[0];
  s.xDot = Y[1];
  for (let i = 0; i < n; i++) {
    s.theta[i] = Y[2 + 2 * i];
    s.thetaDot[i] = Y[3 + 2 * i];
  }
}

export function poleFailed(s: PoleState): boolean {
  return Math.abs(s.x) > POLE.trackLimit || s.theta.some((t) => Math.abs(t) > POLE.failureAngle);
}

/** The network's view, scaled to roughly [-1, 1] as in the NEAT code; without velocities only positions. */
export function poleInputs(s: PoleState, velocities: boolean): number[] {
  const v: number[] = [s.x / 4.8];
  if (velocities) v.push(s.xDot / 2);
  for (let i = 0; i < s.theta.length; i++) {
    v.push(s.theta[i] / 0.52);
    if (velocities) v.push(s.thetaDot[i] / 2);
  }
  return v;
}

export interface PoleTask {
  poles: 1 | 2;
  velocities: boolean;
}

export function poleInputCount(task: PoleTask): number {
  return (1 + task.poles) * (task.velocities ? 2 : 1);
}

/** Balances for up to `maxSteps`; the sigmoid output in [0, 1] maps to a force in [-10, 10] N. */
export function balance(network: Network, task: PoleTask, maxSteps = POLE.successSteps, trace?: (s: PoleState) => void, start?: PoleState): { steps: number; wiggle: number } {
  const s = start ? { x: start.x, xDot: start.xDot, theta: [...start.theta], thetaDot: [...start.thetaDot] } : initialPoleState(task.poles);
  network.reset();
  let steps = 0;
  // Gruau's anti-jiggle term sums |x| + |x'| + |theta1| + |theta1'| over the last 100 steps.
  const recent = new Float64Array(100);
  while (steps < maxSteps) {
    const out = network.activate(poleInputs(s, task.velocities))[0];
    stepPole(s, (out - 0.5) * 2 * POLE.forceMagnitude);
    if (poleFailed(s)) break;
    steps++;
    trace?.(s);
    recent[steps % 100] = Math.abs(s.x) + Math.abs(s.xDot) + Math.abs(s.theta[0]) + Math.abs(s.thetaDot[0]);
  }
  return { steps, wiggle: recent.reduce((a, b) => a + b, 0) };
}

/**
 * Fitness with velocities: steps balanced (the paper's measure). Without velocities: Gruau et
 * al.'s damping fitness over 1,000 steps, 0.1 t/1000 + 0.9 * 0.75 / wiggle, which rewards
 * controllers that keep the system still rather than jiggling it; networks that balance 1,000
 * steps are then run to 100,000 and, as in the paper, must also pass the generalisation test
 * (200 of 625 starts) to count as `solved`.
 */
export function poleFitness(network: Network, _genome: unknown, task: PoleTask): FitnessResult {
  if (task.velocities) {
    const { steps } = balance(network, task);
    return { fitness: steps, solved: steps >= POLE.successSteps, steps };
  }
  const short = balance(network, task, 1000);
  const f1 = short.steps / 1000;
  const f2 = short.steps < 100 ? 0 : 0.75 / Math.max(short.wiggle, 1e-6);
  const fitness = 0.1 * f1 + 0.9 * f2;
  if (short.steps < 1000) return { fitness, solved: false, steps: short.steps };
  const { steps } = balance(network, task);
  if (steps < POLE.successSteps) return { fitness, solved: false, steps };
  const generalised = task.poles === 2 ? generalisationScore(network) : 625;
  return { fitness, solved: generalised >= 200, steps, generalised };
}
