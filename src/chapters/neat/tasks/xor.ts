import type { NeatConfigInput } from '../config.js';
import type { EvolveResult } from '../evolve.js';
import type { Genome } from '../genome.js';
import type { Network } from '../network.js';
import type { FitnessResult } from '../population.js';
import { benchmarkRun, type BenchmarkRun } from './benchmark.js';
import { tableFitness, truthTable } from './boolean.js';

const XOR = truthTable('xor');

/** The paper's XOR fitness: (4 - sum |error|)^2; solved when all four outputs round correctly. */
export function xorFitness(network: Network, _genome?: Genome, _context?: unknown): FitnessResult {
  return tableFitness(network, XOR);
}

/** The paper's XOR numbers (Stanley & Miikkulainen 2002, section 4.2). */
export const XOR_PAPER = { successRate: 1, meanGenerations: 32, meanEvaluations: 4755, meanHiddenNodes: 2.35 };

export async function runXor(seed: number, config: Partial<NeatConfigInput> = {}, maxGenerations = 200): Promise<{ run: BenchmarkRun; result: EvolveResult }> {
  return benchmarkRun(seed, { config: { ...config, inputs: 2, outputs: 1 }, fitness: xorFitness, maxGenerations });
}
