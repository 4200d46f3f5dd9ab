import { GradpathError } from '../../util/errors.js';
import { Generator } from '../../util/random.js';
import { Tensor } from '../../engine/tensor.js';

/**
 * Modular-arithmetic datasets (Power et al. 2022): every pair (a, b) with a, b in [0, p), the
 * sequence [a, b, =] with '=' as token p, labelled with (a op b) mod p. The whole table is tiny
 * (p^2 rows), so the model sees it full-batch and generalisation can be measured exactly.
 */

export const OPERATIONS = ['add', 'sub', 'mul', 'div', 'sq_add', 'sq_add_ab', 'cube_add', 'sq_sub'] as const;
export type Operation = (typeof OPERATIONS)[number];

/** Human-readable formula of each operation, for logs and pictures. */
export const FORMULA: Record<Operation, string> = {
  add: 'a + b', sub: 'a - b', mul: 'a * b', div: 'a / b',
  sq_add: 'a^2 + b^2', sq_add_ab: 'a^2 + ab + b^2', cube_add: 'a^3 + b^3', sq_sub: 'a^2 - b^2',
};

export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

/** (x mod p) in [0, p), also for negative x. */
export function mod(x: number, p: number): number {
  return ((x % p) + p) % p;
}

/** b^-1 mod p by the extended Euclidean algorithm; p prime and b != 0 mod p. */
export function modInverse(b: number, p: number): number {
  let [r0, r1] = [mod(b, p), p];
  let [s0, s1] = [1, 0];
  while (r1 !== 0) {
    const q = Math.floor(r0 / r1);
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1) throw new GradpathError(`grokking: ${b} has no inverse modulo ${p}`);
  return mod(s0, p);
}

/** One result; products stay below 2^53 for p < 2^17 since we reduce after each multiply. */
export function apply(op: Operation, a: number, b: number, p: number): number {
  const m = (x: number, y: number) => mod(mod(x, p) * mod(y, p), p);
  switch (op) {
    case 'add': return mod(a + b, p);
    case 'sub': return mod(a - b, p);
    case 'mul': return m(a, b);
    case 'div': return m(a, modInverse(b, p));
    case 'sq_add': return mod(m(a, a) + m(b, b), p);
    case 'sq_add_ab': return mod(m(a, a) + m(a, b) + m(b, b), p);
    case 'cube_add': return mod(m(m(a, a), a) + m(m(b, b), b), p);
    case 'sq_sub': return mod(m(a, a) - m(b, b), p);
  }
}

/** Validates the user's choices with one clear line each. */
export function checkTask(op: string, p: number, trainFrac: number): Operation {
  if (!(OPERATIONS as readonly string[]).includes(op)) {
    throw new GradpathError(`gradpath grokking: unknown operation '${op}'; choose one of ${OPERATIONS.join(', ')}`);
  }
  if (!Number.isInteger(p) || p < 2) throw new GradpathError(`gradpath grokking: --p must be an integer of at least 2; got ${p}`);
  if (op === 'div' && !isPrime(p)) {
    throw new GradpathError(`gradpath grokking: division needs a prime modulus (every b != 0 must have an inverse); ${p} is not prime`);
  }
  if (!(trainFrac > 0 && trainFrac < 1)) {
    throw new GradpathError(`gradpath grokking: --train-frac must be strictly between 0 and 1; got ${trainFrac}`);
  }
  return op as Operation;
}

export interface ModularData {
  op: Operation;
  p: number;
  /** Token sequences [a, b, =]: int32 (N, 3). */
  inputs: Int32Array;
  /** Results: int32 (N). */
  labels: Int32Array;
  n: number;
}

/** Every pair in row-major order (a major); division skips b = 0. */
export function makeDataset(op: Operation, p: number): ModularData {
  const inputs: number[] = [], labels: number[] = [];
  for (let a = 0; a < p; a++) {
    for (let b = 0; b < p; b++) {
      if (op === 'div' && b === 0) continue;
      inputs.push(a, b, p);
      labels.push(apply(op, a, b, p));
    }
  }
  return { op, p, inputs: Int32Array.from(inputs), labels: Int32Array.from(labels), n: labels.length };
}

export interface Split {
  /** Row indices into the dataset. */
  trainIdx: Int32Array;
  valIdx: Int32Array;
  x: Tensor; // (Ntrain, 3) int32
  y: Tensor; // (Ntrain) int32
  xVal: Tensor; // (Nval, 3) int32
  yVal: Tensor; // (Nval) int32
}

function rows(data: ModularData, idx: Int32Array): { x: Tensor; y: Tensor } {
  const x = new Int32Array(idx.length * 3), y = new Int32Array(idx.length);
  idx.forEach((r, i) => {
    x.set(data.inputs.subarray(r * 3, r * 3 + 3), i * 3);
    y[i] = data.labels[r];
  });
  return { x: new Tensor(x, [idx.length, 3]), y: new Tensor(y, [idx.length]) };
}

/**
 * A seeded shuffle (its own generator, so the split does not depend on model init) cut at
 * round(frac * N); both halves are kept sorted so logs and pictures read in table order.
 */
export function splitDataset(data: ModularData, trainFrac: number, seed: number): Split {
  const gen = new Generator(seed);
  const perm = Int32Array.from({ length: data.n }, (_, i) => i);
  for (let i = perm.length - 1; i > 0; i--) {
    const j = gen.randint(0, i + 1);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const nTrain = Math.min(data.n - 1, Math.max(1, Math.round(trainFrac * data.n)));
  const trainIdx = perm.slice(0, nTrain).sort(), valIdx = perm.slice(nTrain).sort();
  const tr = rows(data, trainIdx), va = rows(data, valIdx);
  return { trainIdx, valIdx, x: tr.x, y: tr.y, xVal: va.x, yVal: va.y };
}
