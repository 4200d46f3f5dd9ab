import { GradpathError } from '../../util/errors.js';
import { makeConfig, type NeatConfig, type NeatConfigInput } from './config.js';
import { cloneGenome, createInitialGenome, crossover, hiddenCount, InnovationTracker, mutate, mutateAddLink, mutateWeights, type Genome } from './genome.js';
import { Generator } from '../../util/random.js';
import { allotOffspring, chooseRepresentatives, deltaCodingAllotment, speciate, updateStagnation, type Species } from './species.js';

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
  readonly rng: Generator;
  readonly tracker: InnovationTracker;
  genomes: Genome[];
  species: Species[] = [];
  generation = 0;
  /** The compatibility threshold in use (it moves when config.targetSpecies is set). */
  threshold: number;
  /** Generations in which the population stagnated and delta coding restarted it. */
  readonly deltaCodingGenerations: number[] = [];
  private nextSpeciesId = 1;
  /** Species in the last speciated generation (what the adaptive threshold steers). */
  private speciesCount = 0;
  private bestEver = -Infinity;
  private bestEverGeneration = 0;

  constructor(config: NeatConfigInput | NeatConfig) {
    this.config = makeConfig(config);
    this.rng = new Generator(this.config.seed);
    this.tracker = new InnovationTracker(this.config.inputs, this.config.outputs);
    this.threshold = this.config.compatibilityThreshold;
    this.genomes = Array.from({ length: this.config.populationSize }, () => createInitialGenome(this.config, this.rng));
  }

  /** Speciates the evaluated generation; returns its statistics (without `evaluations`). */
  speciateAndMeasure(evals: Evaluation[]): Omit<GenerationStats, 'evaluations'> {
    const fitness = evals.map((e) => e.fitness);
    this.species = speciate(this.genomes, this.species, this.config, this.threshold, this.generation, () => this.nextSpeciesId++);
    this.speciesCount = this.species.length;
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
    const { config } = this;
    const fitness = evals.map((e) => e.fitness);
    this.tracker.newGeneration();
    const stagnant = config.populationStagnationLimit > 0 && this.generation - this.bestEverGeneration >= config.populationStagnationLimit;
    const counts = stagnant ? deltaCodingAllotment(this.species, fitness, config.populationSize) : allotOffspring(this.species, fitness, config, this.generation);
    if (stagnant) {
      // The restart gets its own full period, and the two chosen species are not cut next generation as stagnant.
      this.deltaCodingGenerations.push(this.generation);
      this.bestEverGeneration = this.generation;
      this.species.forEach((s, si) => {
        if (counts[si] > 0) s.lastImproved = this.generation;
      });
    }
    const ranked = this.species.map((s) => [...s.members].sort((a, b) => fitness[b] - fitness[a] || a - b));
    const next: Genome[] = [];
    this.species.forEach((_, si) => {
      const n = counts[si];
      if (n === 0) return;
      if (stagnant) next.push(...this.championOffspring(ranked[si][0], n));
      else next.push(...this.offspring(si, ranked, n, fitness));
    });
    chooseRepresentatives(this.species, this.genomes, this.rng);
    this.species = this.species.filter((_, si) => counts[si] > 0);
    this.adjustThreshold();
    this.genomes = next;
    this.generation++;
  }

  /** A species' n offspring: its champion unchanged (if the species is big enough), then children of its best. */
  private offspring(si: number, ranked: number[][], n: number, fitness: number[]): Genome[] {
    const { config, rng } = this;
    const members = ranked[si];
    const out: Genome[] = [];
    if (members.length > config.eliteMinSpeciesSize) {
      out.push(cloneGenome(this.genomes[members[0]]));
      n--;
    }
    const parents = members.slice(0, Math.max(1, Math.ceil(config.survivalThreshold * members.length)));
    for (let k = 0; k < n; k++) {
      const mom = parents[rng.randint(0, parents.length)];
      let child: Genome;
      if (rng.bernoulli(config.crossoverRate)) {
        let dad: number;
        if (rng.bernoulli(config.interspeciesMatingRate) && ranked.length > 1) {
          const other = ranked[rng.randint(0, ranked.length)];
          dad = other[rng.randint(0, Math.max(1, Math.ceil(config.survivalThreshold * other.length)))];
        } else {
          dad = parents[rng.randint(0, parents.length)];
        }
        child = this.mate(mom, dad, fitness);
      } else {
        child = cloneGenome(this.genomes[mom]);
      }
      mutate(child, config, this.tracker, rng);
      out.push(child);
    }
    return out;
  }

  /**
   * Delta coding's offspring, as the original NEAT code breeds a "super champion": one exact copy
   * of the champion, the rest copies with every weight mutated (80%) or with a new link (20%), so
   * the search restarts close around the best solution instead of wandering from it.
   */
  private championOffspring(champion: number, n: number): Genome[] {
    const { config, rng } = this;
    const out = [cloneGenome(this.genomes[champion])];
    for (let k = 1; k < n; k++) {
      const child = cloneGenome(this.genomes[champion]);
      if (rng.bernoulli(0.8) || config.addLinkRate === 0) mutateWeights(child, config, rng);
      else mutateAddLink(child, config, this.tracker, rng);
      out.push(child);
    }
    return out;
  }

  /** Crossover with the fitter parent first; on equal fitness the smaller genome leads. */
  private mate(i: number, j: number, fitness: number[]): Genome {
    const a = this.genomes[i];
    const b = this.genomes[j];
    if (i === j) return cloneGenome(a);
    const aFirst = fitness[i] > fitness[j] || (fitness[i] === fitness[j] && a.connections.length <= b.connections.length);
    return aFirst ? crossover(a, b, this.config, this.rng) : crossover(b, a, this.config, this.rng);
  }

  /**
   * With config.targetSpecies set: after each generation, move the threshold one step
   * (compatibilityModifier) towards that many species: lower when there are too few, so genomes
   * split into more species, higher when there are too many (never below the step itself).
   */
  private adjustThreshold(): void {
    const { targetSpecies: target, compatibilityModifier: step } = this.config;
    if (target <= 0) return;
    if (this.speciesCount < target) this.threshold = Math.max(step, this.threshold - step);
    else if (this.speciesCount > target) this.threshold += step;
  }
}
