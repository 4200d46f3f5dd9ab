import { GradpathError } from '../../util/errors.js';
import { makeConfig, type NeatConfig, type NeatConfigInput } from './config.js';
import { cloneGenome, createInitialGenome, crossover, hiddenCount, InnovationTracker, mutate, type Genome } from './genome.js';
import { Random } from './random.js';
import { allotOffspring, chooseRepresentatives, speciate, updateStagnation, type Species } from './species.js';

/** A fitness function may return a bare number, or the fitness plus `solved` and any extra info. */
export type FitnessResult = number | { fitness: number; solved?: boolean; [extra: string]: unknown };

export interface Evaluation {
  fitness: number;
  solved: boolean;
  info: Record<string, unknown>;
}

export interface GenerationStats {
  generation: number;
  bestFitness: number;
  meanFitness: number;
  species: number;
  /** Hidden nodes and enabled connections of this generation's best genome. */
  bestHiddenNodes: number;
  bestConnections: number;
  /** Fitness evaluations so far, including this generation. */
  evaluations: number;
  solved: boolean;
  /** Extra info the fitness function returned for the best genome (e.g. pipes passed). */
  bestInfo: Record<string, unknown>;
}

export function normaliseResult(r: FitnessResult, where: string): Evaluation {
  const fitness = typeof r === 'number' ? r : r?.fitness;
  if (typeof fitness !== 'number' || !Number.isFinite(fitness) || fitness < 0) {
    throw new GradpathError(`neat: the fitness function returned ${String(fitness)} for ${where}; it must return a finite number >= 0`);
  }
  if (typeof r === 'number') return { fitness, solved: false, info: {} };
  const { fitness: _f, solved, ...info } = r;
  return { fitness, solved: Boolean(solved), info };
}

/**
 * A NEAT population: speciation, explicit fitness sharing and reproduction. The caller evaluates
 * `genomes` and passes the results to `advance`, which builds the next generation.
 */
export class Population {
  readonly config: NeatConfig;
  readonly rng: Random;
  readonly tracker: InnovationTracker;
  genomes: Genome[];
  species: Species[] = [];
  generation = 0;
  threshold: number;
  private nextSpeciesId = 1;
  private bestEver = -Infinity;
  private bestEverGeneration = 0;

  constructor(config: NeatConfigInput | NeatConfig) {
    this.config = makeConfig(config);
    this.rng = new Random(this.config.seed);
    this.tracker = new InnovationTracker(this.config.inputs, this.config.outputs);
    this.threshold = this.config.compatibilityThreshold;
    this.genomes = Array.from({ length: this.config.populationSize }, () => createInitialGenome(this.config, this.rng));
  }

  /** Speciates the evaluated generation; returns its statistics (without `evaluations`). */
  speciateAndMeasure(evals: Evaluation[]): Omit<GenerationStats, 'evaluations'> {
    const fitness = evals.map((e) => e.fitness);
    this.species = speciate(this.genomes, this.species, this.config, this.threshold, this.generation, () => this.nextSpeciesId++);
    updateStagnation(this.species, fitness, this.generation);
    let best = 0;
    for (let i = 1; i < fitness.length; i++) if (fitness[i] > fitness[best]) best = i;
    if (fitness[best] > this.bestEver) {
      this.bestEver = fitness[best];
      this.bestEverGeneration = this.generation;
    }
    const champion = this.genomes[best];
    return {
      generation: this.generation,
      bestFitness: fitness[best],
      meanFitness: fitness.reduce((a, b) => a + b, 0) / fitness.length,
      species: this.species.length,
      bestHiddenNodes: hiddenCount(champion),
      bestConnections: champion.connections.filter((c) => c.enabled).length,
      solved: evals.some((e) => e.solved),
      bestInfo: evals[best].info,
    };
  }

  /** Builds the next generation from the current, speciated, evaluated one. */
  reproduce(evals: Evaluation[]): void {
    const { config, rng } = this;
    const fitness = evals.map((e) => e.fitness);
    this.tracker.newGeneration();
    const populationStagnant = this.generation - this.bestEverGeneration >= config.populationStagnationLimit;
    if (populationStagnant) this.bestEverGeneration = this.generation; // give the best two a fresh 20 generations
    const counts = allotOffspring(this.species, fitness, config, this.generation, populationStagnant && this.species.length > 2);
    const ranked = this.species.map((s) => [...s.members].sort((a, b) => fitness[b] - fitness[a] || a - b));
    const next: Genome[] = [];
    this.species.forEach((s, si) => {
      const members = ranked[si];
      let n = counts[si];
      if (n === 0) return;
      if (members.length > config.eliteMinSpeciesSize) {
        next.push(cloneGenome(this.genomes[members[0]]));
        n--;
      }
      const parents = members.slice(0, Math.max(1, Math.ceil(config.survivalThreshold * members.length)));
      for (let k = 0; k < n; k++) {
        const mom = parents[rng.int(parents.length)];
        let child: Genome;
        if (rng.chance(config.crossoverRate)) {
          let dad: number;
          if (rng.chance(config.interspeciesMatingRate) && this.species.length > 1) {
            const other = ranked[rng.int(ranked.length)];
            dad = other[rng.int(Math.max(1, Math.ceil(config.survivalThreshold * other.length)))];
          } else {
            dad = parents[rng.int(parents.length)];
          }
          child = this.mate(mom, dad, fitness);
        } else {
          child = cloneGenome(this.genomes[mom]);
        }
        mutate(child, config, this.tracker, rng);
        next.push(child);
      }
    });
    chooseRepresentatives(this.species, this.genomes, rng);
    this.species = this.species.filter((_, si) => counts[si] > 0);
    this.adjustThreshold();
    this.genomes = next;
    this.generation++;
  }

  /** Crossover with the fitter parent first; on equal fitness the smaller genome leads. */
  private mate(i: number, j: number, fitness: number[]): Genome {
    const a = this.genomes[i];
    const b = this.genomes[j];
    if (i === j) return cloneGenome(a);
    const aFirst = fitness[i] > fitness[j] || (fitness[i] === fitness[j] && a.connections.length <= b.connections.length);
    return aFirst ? crossover(a, b, this.config, this.rng) : crossover(b, a, this.config, this.rng);
  }

  /** Optional (off by default): nudge the threshold towards a target number of species. */
  private adjustThreshold(): void {
    const target = this.config.targetSpecies;
    if (target <= 0) return;
    if (this.species.length < target) this.threshold = Math.max(0.3, this.threshold - 0.3);
    else if (this.species.length > target) this.threshold += 0.3;
  }
}
