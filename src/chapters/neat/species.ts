import type { NeatConfig } from './config.js';
import { compatibilityDistance, type Genome } from './genome.js';
import type { Generator } from '../../util/random.js';

export interface Species {
  id: number;
  /** A random member of the previous generation: new genomes are compared against it. */
  representative: Genome;
  /** Indices into the current population. */
  members: number[];
  bestFitness: number;
  /** The generation in which bestFitness last improved. */
  lastImproved: number;
  createdAt: number;
}

/**
 * Puts every genome into the first species whose representative is within the compatibility
 * threshold, or founds a new species with it. Species left empty die out.
 */
export function speciate(genomes: Genome[], species: Species[], config: NeatConfig, threshold: number, generation: number, nextId: () => number): Species[] {
  for (const s of species) s.members = [];
  const live = [...species];
  genomes.forEach((g, i) => {
    for (const s of live) {
      if (compatibilityDistance(g, s.representative, config) < threshold) {
        s.members.push(i);
        return;
      }
    }
    live.push({ id: nextId(), representative: g, members: [i], bestFitness: -Infinity, lastImproved: generation, createdAt: generation });
  });
  return live.filter((s) => s.members.length > 0);
}

/** Records each species' best fitness, for stagnation. */
export function updateStagnation(species: Species[], fitness: number[], generation: number): void {
  for (const s of species) {
    const best = speciesBest(s, fitness);
    if (best > s.bestFitness) {
      s.bestFitness = best;
      s.lastImproved = generation;
    }
  }
}

/** The best fitness in a species this generation. */
export function speciesBest(s: Species, fitness: number[]): number {
  return Math.max(...s.members.map((i) => fitness[i]));
}

/** Species by their best member this generation, best first (ties: the older id first). */
export function rankSpecies(species: Species[], fitness: number[]): Species[] {
  return [...species].sort((a, b) => speciesBest(b, fitness) - speciesBest(a, fitness) || a.id - b.id);
}

/**
 * Whether a species has gone stagnationLimit generations without improving its best fitness
 * (the original NEAT code's "dropoff age", 15; 0 turns the rule off).
 */
export function isStagnant(s: Species, generation: number, config: NeatConfig): boolean {
  return config.stagnationLimit > 0 && generation - s.lastImproved >= config.stagnationLimit;
}

/**
 * How many offspring each species gets. With explicit fitness sharing each member's adjusted
 * fitness is f / |species|, so a species' share is the sum of those (its mean fitness); offspring
 * are split in proportion, rounding by largest remainder so the population size stays exact.
 * Stagnant species get none, except the species holding this generation's best genome: the
 * best solution found so far is never thrown away.
 */
export function allotOffspring(species: Species[], fitness: number[], config: NeatConfig, generation: number): number[] {
  const champion = rankSpecies(species, fitness)[0];
  const allowed = species.map((s) => s === champion || !isStagnant(s, generation, config));
  const shares = species.map((s, i) => (allowed[i] ? s.members.reduce((sum, m) => sum + fitness[m], 0) / s.members.length : 0));
  let total = shares.reduce((a, b) => a + b, 0);
  // All-zero fitness: share equally among the allowed species.
  const weights = total > 0 ? shares : allowed.map((a) => (a ? 1 : 0));
  total = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (w / total) * config.populationSize);
  const counts = exact.map(Math.floor);
  let left = config.populationSize - counts.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of byRemainder) {
    if (left <= 0) break;
    if (weights[i] > 0) {
      counts[i]++;
      left--;
    }
  }
  return counts;
}

/**
 * "Delta coding", the original NEAT code's answer to a stagnant population: the two species with
 * the best genomes get half the population each (all of it when there is only one species), every
 * other species none. Their champions then breed alone (see Population.reproduce).
 */
export function deltaCodingAllotment(species: Species[], fitness: number[], populationSize: number): number[] {
  const [first, second] = rankSpecies(species, fitness);
  const half = Math.floor(populationSize / 2);
  return species.map((s) => {
    if (s === first) return second ? populationSize - half : populationSize;
    return s === second ? half : 0;
  });
}

/** The next generation's representatives: a random member of each species, as in the paper. */
export function chooseRepresentatives(species: Species[], genomes: Genome[], rng: Generator): void {
  for (const s of species) s.representative = genomes[rng.choice(s.members)];
}
