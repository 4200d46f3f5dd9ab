import type { NeatConfigInput } from '../config.js';
import type { EvolveResult } from '../evolve.js';
import type { Genome } from '../genome.js';
import { benchmarkRun, type BenchmarkRun } from './benchmark.js';
import type { Network } from '../network.js';
import type { FitnessResult } from '../population.js';

const CASES: [number, number, number][] = [
  [0, 0, 0],
  [0, 1, 1],
  [1, 0, 1],
  [1, 1, 0],
];

/** The paper's XOR fitness: (4 - sum |error|)^2; solved when all four outputs round correctly. */
export function xorFitness(network: Network, _genome?: Genome, _context?: unknown): FitnessResult {
  let error = 0;
  let solved = true;
  for (const [a, b, want] of CASES) {
    const out = network.activate([a, b])[0];
    error += Math.abs(want - out);
    if ((out >= 0.5 ? 1 : 0) !== want) solved = false;
  }
  return { fitness: (4 - error) ** 2, solved };
}

/** The paper's XOR numbers (Stanley & Miikkulainen 2002, section 4.2). */
export const XOR_PAPER = { successRate: 1, meanGenerations: 32, meanEvaluations: 4755, meanHiddenNodes: 2.35 };

export async function runXor(seed: number, config: Partial<NeatConfigInput> = {}, maxGenerations = 200): Promise<{ run: BenchmarkRun; result: EvolveResult }> {
  return benchmarkRun(seed, { config: { ...config, inputs: 2, outputs: 1 }, fitness: xorFitness, maxGenerations });
}
