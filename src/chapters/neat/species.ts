import type { NeatConfig } from './config.js';
import { compatibilityDistance, type Genome } from './genome.js';
import type { Random } from './random.js';

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
    const best = Math.max(...s.members.map((i) => fitness[i]));
    if (best > s.bestFitness) {
      s.bestFitness = best;
      s.lastImproved = generation;
    }
  }
}

/**
 * How many offspring each species gets. With explicit fitness sharing each member's adjusted
 * fitness is f / |species|, so a species' share is the sum of those (its mean fitness); offspring
 * are split in proportion, rounding by largest remainder so the population size stays exact.
 * Species that have not improved for stagnationLimit generations get none, except the species
 * holding the population's best genome, which always survives.
 */
export function allotOffspring(species: Species[], fitness: number[], config: NeatConfig, generation: number, onlyBestTwo: boolean): number[] {
  const bestOf = (s: Species) => Math.max(...s.members.map((i) => fitness[i]));
  const ranked = [...species].sort((a, b) => bestOf(b) - bestOf(a) || a.id - b.id);
  const champion = ranked[0];
  const allowed = new Set<Species>(
    species.filter((s) => s === champion || generation - s.lastImproved < config.stagnationLimit),
  );
  if (onlyBestTwo) {
    allowed.clear();
    ranked.slice(0, 2).forEach((s) => allowed.add(s));
  }
  const shares = species.map((s) => (allowed.has(s) ? s.members.reduce((sum, i) => sum + fitness[i], 0) / s.members.length : 0));
  let total = shares.reduce((a, b) => a + b, 0);
  // All-zero fitness: share equally among the allowed species.
  const weights = total > 0 ? shares : species.map((s) => (allowed.has(s) ? 1 : 0));
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

/** The next generation's representatives: a random member of each species, as in the paper. */
export function chooseRepresentatives(species: Species[], genomes: Genome[], rng: Random): void {
  for (const s of species) s.representative = genomes[rng.pick(s.members)];
}
