/**
 * NEAT (Stanley & Miikkulainen 2002) as a library: evolve the weights *and* the topology of
 * networks for your own task. See docs/neat.md for a walk-through.
 *
 *   const result = await evolve({ config: { inputs: 2, outputs: 1 }, fitness: (net) => ..., maxGenerations: 100 });
 *   result.champion; result.generations; result.network().activate([0, 1]);
 */
export { evolve, type EvolveOptions, type EvolveResult } from './evolve.js';
export { makeConfig, validateConfig, PAPER_DEFAULTS, type NeatConfig, type NeatConfigInput, type Activation } from './config.js';
export { Population, type FitnessResult, type GenerationStats, type Evaluation } from './population.js';
export type { FitnessFunction, FitnessModule } from './evaluate.js';
export { createNetwork, type Network } from './network.js';
export {
  compatibilityDistance, crossover, createInitialGenome, mutate, mutateAddLink, mutateAddNode, mutateWeights,
  InnovationTracker, cloneGenome, hiddenCount, type Genome, type NodeGene, type ConnectionGene,
} from './genome.js';
export { saveGenome, loadGenome, parseGenome, genomeToJson, type SavedGenome } from './serialize.js';
export { genomeToSvg, type SvgOptions } from './svg.js';
export { Generator } from '../../util/random.js';
export { xorFitness, runXor } from './tasks/xor.js';
export { booleanFitness, runBoolean, truthTable, tableFitness, BOOLEAN_TASKS, type BooleanTaskName, type TruthTable } from './tasks/boolean.js';
export { generationEvent } from './metrics.js';
