import { GradpathError } from '../../../util/errors.js';
import type { NeatConfigInput } from '../config.js';
import type { EvolveResult } from '../evolve.js';
import type { Genome } from '../genome.js';
import type { Network } from '../network.js';
import type { FitnessResult } from '../population.js';
import { benchmarkRun, type BenchmarkRun } from './benchmark.js';

/**
 * Boolean functions as NEAT benchmarks, harder than XOR: every case of the truth table is shown,
 * fitness is (cases - sum |error|)^2 (the paper's XOR fitness, generalised), and a network solves
 * the task when every output rounds to the right bit.
 */
export type BooleanTaskName = 'xor' | 'parity3' | 'parity4' | 'multiplexer3' | 'multiplexer6';

export const BOOLEAN_TASKS: readonly BooleanTaskName[] = ['xor', 'parity3', 'parity4', 'multiplexer3', 'multiplexer6'];

export interface TruthTable {
  inputs: number;
  /** One row per case: the input bits and the wanted output bit. */
  rows: { input: number[]; want: number }[];
}

const bits = (i: number, n: number): number[] => Array.from({ length: n }, (_, k) => (i >> (n - 1 - k)) & 1);

/** Every row of a function of n bits. */
function table(n: number, f: (x: number[]) => number): TruthTable {
  return { inputs: n, rows: Array.from({ length: 2 ** n }, (_, i) => ({ input: bits(i, n), want: f(bits(i, n)) })) };
}

const TABLES: Record<BooleanTaskName, TruthTable> = {
  xor: table(2, ([a, b]) => a ^ b),
  // 1 when an odd number of the three inputs are 1: XOR of XOR, so it needs more hidden structure.
  parity3: table(3, (x) => x.reduce((p, b) => p ^ b, 0)),
  parity4: table(4, (x) => x.reduce((p, b) => p ^ b, 0)),
  // One address bit selects one of two data bits ("if a then d1 else d0"): 8 cases.
  multiplexer3: table(3, ([a, d0, d1]) => (a ? d1 : d0)),
  // Two address bits select one of four data bits (Koza's 6-multiplexer): 64 cases.
  multiplexer6: table(6, ([a1, a0, ...data]) => data[a1 * 2 + a0]),
};

export function truthTable(name: string): TruthTable {
  const t = TABLES[name as BooleanTaskName];
  if (!t) throw new GradpathError(`neat: unknown boolean task '${name}'; use one of ${BOOLEAN_TASKS.join(', ')}`);
  return t;
}

/** Scores a network on a whole truth table (its one output is read as the bit). */
export function tableFitness(network: Network, t: TruthTable): FitnessResult {
  let error = 0;
  let solved = true;
  for (const { input, want } of t.rows) {
    const out = network.activate(input)[0];
    error += Math.abs(want - out);
    if ((out >= 0.5 ? 1 : 0) !== want) solved = false;
  }
  return { fitness: (t.rows.length - error) ** 2, solved };
}

/** A fitness function for evolve(): the context is the task's name (so worker threads can use it). */
export function booleanFitness(network: Network, _genome: Genome | undefined, name: BooleanTaskName): FitnessResult {
  return tableFitness(network, truthTable(name));
}

/** One run of a boolean task from the paper's XOR settings (overridable through `config`). */
export async function runBoolean(seed: number, name: BooleanTaskName, config: Partial<NeatConfigInput> = {}, maxGenerations = 300): Promise<{ run: BenchmarkRun; result: EvolveResult }> {
  const t = truthTable(name);
  return benchmarkRun(seed, { config: { ...config, inputs: t.inputs, outputs: 1 }, fitness: booleanFitness, context: name, maxGenerations });
}
