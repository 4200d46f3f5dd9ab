import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Population, type Evaluation } from '../../../src/chapters/neat/population.js';
import { allotOffspring, deltaCodingAllotment, type Species } from '../../../src/chapters/neat/species.js';
import { xorFitness } from '../../../src/chapters/neat/tasks/xor.js';
import { createNetwork } from '../../../src/chapters/neat/network.js';
import type { NeatConfigInput } from '../../../src/chapters/neat/config.js';
import { handGenome, xorConfig } from './helpers.js';

/** Species over a population whose fitness is given per member; ids in order. */
function speciesOf(groups: number[][], lastImproved: number[]): Species[] {
  const rep = handGenome([[0, 0, 3, 1]]);
  return groups.map((members, k) => ({ id: k + 1, representative: rep, members, bestFitness: 0, lastImproved: lastImproved[k], createdAt: 0 }));
}

const constant = (n: number): Evaluation[] => Array.from({ length: n }, () => ({ fitness: 1, solved: false, info: {} }));

/** Runs a population with a fitness function for `generations` generations; returns it. */
function runPopulation(config: NeatConfigInput, generations: number, score: (p: Population) => Evaluation[], before?: (p: Population) => void): Population {
  const p = new Population(config);
  for (let g = 0; g < generations; g++) {
    const evals = score(p);
    p.speciateAndMeasure(evals);
    before?.(p);
    p.reproduce(evals);
  }
  return p;
}

test('species stagnation: 15 generations without improvement and a species stops breeding, unless it holds the best genome', () => {
  const config = xorConfig({ populationSize: 30 });
  const fitness = [5, 5, 5, 9, 9, 9, 2, 2, 2];
  const groups = [[0, 1, 2], [3, 4, 5], [6, 7, 8]];
  // Generation 30: species 1 last improved at 15 (stagnant), species 2 (the best) at 0, species 3 at 16.
  const counts = allotOffspring(speciesOf(groups, [15, 0, 16]), fitness, config, 30);
  assert.equal(counts[0], 0, 'the stagnant species gets no offspring');
  assert.ok(counts[1] > 0, 'the species with the best genome survives its stagnation');
  assert.ok(counts[2] > 0, 'a species that improved 14 generations ago still breeds');
  assert.equal(counts.reduce((a, b) => a + b, 0), 30);
  // With the rule off (stagnationLimit 0) every species breeds in proportion to its mean fitness.
  assert.deepEqual(allotOffspring(speciesOf(groups, [15, 0, 16]), fitness, xorConfig({ populationSize: 32, stagnationLimit: 0 }), 30), [10, 18, 4]);
});

test('delta coding gives the best two species half the population each, one species all of it', () => {
  const fitness = [1, 7, 3, 8, 2, 6];
  const species = speciesOf([[0, 1], [2], [3, 4], [5]], [0, 0, 0, 0]);
  assert.deepEqual(deltaCodingAllotment(species, fitness, 151), [75, 0, 76, 0]);
  assert.deepEqual(deltaCodingAllotment(species.slice(1, 2), fitness, 151), [151]);
});

test('population stagnation: after 20 generations without a better genome only the two best champions breed', () => {
  // Constant fitness: the best never improves after generation 0. Many small species (low threshold,
  // no species stagnation) so that the restart visibly cuts them down to two.
  const config = { inputs: 2, outputs: 1, populationSize: 40, seed: 3, compatibilityThreshold: 0.4, stagnationLimit: 0, targetSpecies: 0 };
  let speciesBefore = 0;
  let champions: string[] = [];
  const p = runPopulation(config, 21, (q) => constant(q.genomes.length), (q) => {
    speciesBefore = q.species.length;
    // This generation's champions of the two best species (constant fitness: each species' first member).
    champions = q.species.slice(0, 2).map((s) => JSON.stringify(q.genomes[s.members[0]].connections));
  });
  assert.deepEqual(p.deltaCodingGenerations, [20]);
  assert.ok(speciesBefore > 2, `there were ${speciesBefore} species before the restart`);
  assert.equal(p.species.length, 2, 'only two species are left to breed');
  // Each champion is copied unchanged once; all other offspring are its mutants (same genes, or one more link).
  const next = p.genomes.map((g) => JSON.stringify(g.connections));
  for (const c of champions) assert.ok(next.includes(c), 'a champion is kept unchanged');
  assert.equal(p.genomes.length, 40);
  // Without the rule nothing restarts and the species stay.
  const off = runPopulation({ ...config, populationStagnationLimit: 0 }, 21, (q) => constant(q.genomes.length));
  assert.deepEqual(off.deltaCodingGenerations, []);
  assert.ok(off.species.length > 2);
  // With the default limit the restart repeats every 20 generations while nothing improves.
  assert.deepEqual(runPopulation({ inputs: 2, outputs: 1, populationSize: 20, seed: 1 }, 45, (q) => constant(q.genomes.length)).deltaCodingGenerations, [20, 40]);
});

test('after a restart the stagnation count starts again, and a better genome resets it', () => {
  let gen = 0;
  const p = runPopulation({ inputs: 2, outputs: 1, populationSize: 20, seed: 2 }, 50, (q) => {
    gen++;
    return q.genomes.map(() => ({ fitness: gen >= 26 ? 2 : 1, solved: false, info: {} }));
  });
  // Restart at 20; improvement at generation 25 (the 26th scored); next restart 20 after that, at 45.
  assert.deepEqual(p.deltaCodingGenerations, [20, 45]);
});

test('the adaptive compatibility threshold moves one step per generation towards the target species count', () => {
  const xor = (q: Population): Evaluation[] => q.genomes.map((g) => {
    const r = xorFitness(createNetwork(g, false));
    return { fitness: typeof r === 'number' ? r : r.fitness, solved: false, info: {} };
  });
  // Too many species at first (threshold 0.1: the first genomes differ only in weights): it rises by 0.3 a generation.
  const thresholds: number[] = [];
  const counts: number[] = [];
  const p = runPopulation({ inputs: 2, outputs: 1, populationSize: 60, seed: 4, compatibilityThreshold: 0.1, targetSpecies: 4 }, 40, xor, (q) => {
    thresholds.push(q.threshold);
    counts.push(q.species.length);
  });
  assert.ok(counts[0] > 4, `starts with ${counts[0]} species`);
  assert.ok(Math.abs(thresholds[1] - 0.4) < 1e-12 && Math.abs(thresholds[2] - 0.7) < 1e-12, 'rises one step (0.3) per generation while above the target');
  const late = counts.slice(-10);
  assert.ok(late.every((c) => c >= 2 && c <= 8), `holds near 4 species at the end: ${late.join(', ')}`);
  // Too few (one huge threshold): it falls, but never below one step.
  const falling: number[] = [];
  runPopulation({ inputs: 2, outputs: 1, populationSize: 30, seed: 4, compatibilityThreshold: 1.0, targetSpecies: 50 }, 6, xor, (q) => falling.push(q.threshold));
  assert.deepEqual(falling.map((t) => Number(t.toFixed(6))), [1, 0.7, 0.4, 0.3, 0.3, 0.3]);
  // Off (targetSpecies 0, the paper's fixed threshold): the threshold stays.
  const fixed = runPopulation({ inputs: 2, outputs: 1, populationSize: 30, seed: 4, targetSpecies: 0 }, 5, xor);
  assert.equal(fixed.threshold, 3.0);
  assert.ok(p.threshold > 0.3);
});
