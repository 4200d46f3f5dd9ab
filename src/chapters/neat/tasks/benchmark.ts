import type { EvolveOptions, EvolveResult } from '../evolve.js';
import { evolve } from '../evolve.js';
import { hiddenCount } from '../genome.js';

/** One benchmark run, reduced to the numbers the paper reports. */
export interface BenchmarkRun {
  seed: number;
  solved: boolean;
  /** 1-based: the generation in which the first solver appeared (or the last one run). */
  generations: number;
  evaluations: number;
  hiddenNodes: number;
}

/** The JSON summary printed by `gradpath neat xor|pole --json`. */
export interface BenchmarkSummary {
  runs: number;
  success_rate: number;
  mean_generations: number;
  mean_evaluations: number;
  mean_hidden_nodes: number;
  seconds: number;
}

export async function benchmarkRun<C>(seed: number, options: EvolveOptions<C>): Promise<{ run: BenchmarkRun; result: EvolveResult }> {
  const result = await evolve({ ...options, config: { ...options.config, seed } });
  const generations = (result.solvedGeneration ?? result.generations.length - 1) + 1;
  return {
    run: { seed, solved: result.solved, generations, evaluations: result.evaluations, hiddenNodes: hiddenCount(result.champion) },
    result,
  };
}

/** Means over the solved runs (as the paper reports them); success rate over all runs. */
export function summariseRuns(runs: BenchmarkRun[], seconds: number): BenchmarkSummary {
  const solved = runs.filter((r) => r.solved);
  const mean = (f: (r: BenchmarkRun) => number) => (solved.length ? solved.reduce((s, r) => s + f(r), 0) / solved.length : 0);
  return {
    runs: runs.length,
    success_rate: runs.length ? solved.length / runs.length : 0,
    mean_generations: mean((r) => r.generations),
    mean_evaluations: mean((r) => r.evaluations),
    mean_hidden_nodes: mean((r) => r.hiddenNodes),
    seconds,
  };
}
