import { GradpathError } from '../../util/errors.js';
import type { NeatConfig, NeatConfigInput } from './config.js';
import { loadFitness, serialEvaluator, workerEvaluator, type Evaluator, type FitnessFunction, type FitnessModule } from './evaluate.js';
import { cloneGenome, type Genome } from './genome.js';
import { createNetwork, type Network } from './network.js';
import { normaliseResult, Population, type Evaluation, type GenerationStats } from './population.js';

export interface EvolveOptions<C = unknown> {
  config: NeatConfigInput;
  /** The fitness function (serial evaluation)... */
  fitness?: FitnessFunction<C>;
  /** ...or a module + export name, which also allows `workers`. */
  fitnessModule?: FitnessModule;
  /** Data passed to every fitness call (structured-cloneable when using workers). */
  context?: C;
  /** Worker threads for evaluation (0 or 1 = evaluate in this thread). */
  workers?: number;
  maxGenerations: number;
  /** Stop at the first generation in which some genome reports solved (default true). */
  stopWhenSolved?: boolean;
  /** Called after each generation; return true to stop early. */
  onGeneration?: (stats: GenerationStats, population: Population) => boolean | void;
}

export interface EvolveResult {
  /** The first solver found, or else the best genome ever evaluated. */
  champion: Genome;
  championFitness: number;
  championInfo: Record<string, unknown>;
  solved: boolean;
  /** Generation (0-based) in which the first solver appeared, or null. */
  solvedGeneration: number | null;
  /** Evaluations until the first solver (counted in evaluation order), or all of them. */
  evaluations: number;
  generations: GenerationStats[];
  config: NeatConfig;
  /** Builds the champion's network (recurrent if the config says so). */
  network(): Network;
}

/** Evolves networks with NEAT until a genome solves the task or maxGenerations pass. */
export async function evolve<C = unknown>(options: EvolveOptions<C>): Promise<EvolveResult> {
  const population = new Population(options.config);
  const config = population.config;
  if (!Number.isInteger(options.maxGenerations) || options.maxGenerations < 1) {
    throw new GradpathError(`neat: maxGenerations must be a positive integer; got ${options.maxGenerations}`);
  }
  const evaluator = await makeEvaluator(options, config.recurrent);
  const stopWhenSolved = options.stopWhenSolved ?? true;
  const generations: GenerationStats[] = [];
  let evaluations = 0;
  let best: { genome: Genome; evaluation: Evaluation } | null = null;
  let solvedAt: { generation: number; evaluations: number; genome: Genome; evaluation: Evaluation } | null = null;
  try {
    for (let gen = 0; gen < options.maxGenerations; gen++) {
      const raw = await evaluator.evaluate(population.genomes);
      const evals = raw.map((r, i) => normaliseResult(r, `genome ${i} of generation ${gen}`));
      evals.forEach((e, i) => {
        if (best === null || e.fitness > best.evaluation.fitness) best = { genome: cloneGenome(population.genomes[i]), evaluation: e };
      });
      const firstSolver = evals.findIndex((e) => e.solved);
      if (firstSolver >= 0 && solvedAt === null) {
        // The best of this generation's solvers is the champion; the count stops at the first.
        let pick = firstSolver;
        evals.forEach((e, i) => {
          if (e.solved && e.fitness > evals[pick].fitness) pick = i;
        });
        solvedAt = { generation: gen, evaluations: evaluations + firstSolver + 1, genome: cloneGenome(population.genomes[pick]), evaluation: evals[pick] };
      }
      evaluations += evals.length;
      const stats = { ...population.speciateAndMeasure(evals), evaluations };
      generations.push(stats);
      const stop = options.onGeneration?.(stats, population) === true;
      if (stop || (solvedAt && stopWhenSolved) || gen === options.maxGenerations - 1) break;
      population.reproduce(evals);
    }
  } finally {
    await evaluator.close();
  }
  const winner = solvedAt ?? { genome: best!.genome, evaluation: best!.evaluation };
  const champion = winner.genome;
  return {
    champion,
    championFitness: winner.evaluation.fitness,
    championInfo: winner.evaluation.info,
    solved: solvedAt !== null,
    solvedGeneration: solvedAt?.generation ?? null,
    evaluations: solvedAt?.evaluations ?? evaluations,
    generations,
    config,
    network: () => createNetwork(champion, config.recurrent),
  };
}

async function makeEvaluator<C>(options: EvolveOptions<C>, recurrent: boolean): Promise<Evaluator> {
  const workers = options.workers ?? 0;
  if (!Number.isInteger(workers) || workers < 0) throw new GradpathError(`neat: workers must be a non-negative integer; got ${workers}`);
  if (options.fitness && options.fitnessModule) throw new GradpathError('neat: give either fitness or fitnessModule, not both');
  if (workers > 1) {
    if (!options.fitnessModule) {
      throw new GradpathError('neat: workers > 1 needs fitnessModule (a module path and export name): functions cannot be sent to threads');
    }
    return workerEvaluator(workers, options.fitnessModule, options.context, recurrent);
  }
  const fitness = options.fitness ?? (options.fitnessModule ? await loadFitness(options.fitnessModule) : undefined);
  if (!fitness) throw new GradpathError('neat: no fitness function given (fitness or fitnessModule)');
  return serialEvaluator(fitness, options.context as C, recurrent);
}
