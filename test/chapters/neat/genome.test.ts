import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compatibilityDistance, createInitialGenome, crossover, InnovationTracker, mutateAddLink, mutateAddNode, mutateWeights, cloneGenome,
} from '../../../src/chapters/neat/genome.js';
import { createNetwork } from '../../../src/chapters/neat/network.js';
import { Generator } from '../../../src/util/random.js';
import { handGenome, xorConfig } from './helpers.js';

test('the same structural mutation in one generation gets the same innovation numbers', () => {
  const config = xorConfig({ weightInitRange: 1 });
  const rng = new Generator(7);
  const tracker = new InnovationTracker(2, 1);
  const a = createInitialGenome(config, rng);
  const b = createInitialGenome(config, rng);
  // Initial links share their numbers in every genome.
  assert.deepEqual(a.connections.map((c) => c.innovation), b.connections.map((c) => c.innovation));
  // Split the same link (x0 -> out, innovation 0) in both: same node id, same two new numbers.
  a.connections.forEach((c) => (c.enabled = c.innovation === 0));
  b.connections.forEach((c) => (c.enabled = c.innovation === 0));
  mutateAddNode(a, config, tracker, rng);
  mutateAddNode(b, config, tracker, rng);
  const newA = a.connections.filter((c) => c.innovation >= 3).map((c) => [c.innovation, c.in, c.out]);
  const newB = b.connections.filter((c) => c.innovation >= 3).map((c) => [c.innovation, c.in, c.out]);
  assert.deepEqual(newA, newB);
  assert.deepEqual(newA, [[3, 0, 4], [4, 4, 3]]);
  // An add-link between the same nodes in the same generation shares a number too...
  assert.equal(tracker.link(1, 4), tracker.link(1, 4));
  const first = tracker.link(2, 4);
  // ...but not in a later generation.
  tracker.newGeneration();
  assert.notEqual(tracker.link(2, 4), first);
});

test('add-node: old link disabled, in-weight 1, out-weight the old weight; function kept up to the sigmoid', () => {
  const config = xorConfig();
  const g = handGenome([[0, 0, 3, 0.7], [1, 1, 3, -0.4], [2, 2, 3, 0.1]]);
  const tracker = new InnovationTracker(2, 1);
  // Force the split of link 0 by disabling the others for the pick, then re-enable them.
  g.connections[1].enabled = false;
  g.connections[2].enabled = false;
  mutateAddNode(g, config, tracker, new Generator(1));
  g.connections[1].enabled = true;
  g.connections[2].enabled = true;
  const old = g.connections.find((c) => c.innovation === 0)!;
  const into = g.connections.find((c) => c.in === 0 && c.out === 4)!;
  const outOf = g.connections.find((c) => c.in === 4 && c.out === 3)!;
  assert.equal(old.enabled, false);
  assert.equal(into.weight, 1);
  assert.equal(outOf.weight, 0.7);
  // The output now sees 0.7 * sigmoid(x0) where it saw 0.7 * x0: with an identity hidden node it is exact.
  const identity = cloneGenome(g);
  identity.nodes.find((n) => n.id === 4)!.activation = 'identity';
  const before = createNetwork(handGenome([[0, 0, 3, 0.7], [1, 1, 3, -0.4], [2, 2, 3, 0.1]]));
  const after = createNetwork(identity);
  for (const x of [[0, 0], [1, 0], [0.3, 0.9], [-2, 1]]) assert.ok(Math.abs(before.activate(x)[0] - after.activate(x)[0]) < 1e-12);
});

test('crossover aligns by innovation: matching from either parent, disjoint and excess from the fitter', () => {
  const config = xorConfig({ disableInheritRate: 1 });
  const fitter = handGenome([[0, 0, 3, 1], [1, 1, 3, 1], [2, 2, 3, 1, false], [5, 0, 4, 1], [6, 4, 3, 1]], [4]);
  const other = handGenome([[0, 0, 3, -1], [1, 1, 3, -1], [2, 2, 3, -1], [3, 1, 5, -1], [4, 5, 3, -1], [9, 2, 5, -1]], [5]);
  const seen = new Set<string>();
  for (let s = 0; s < 40; s++) {
    const child = crossover(fitter, other, config, new Generator(s));
    assert.deepEqual(child.connections.map((c) => c.innovation), [0, 1, 2, 5, 6]);
    // Disjoint (5, 6) come from the fitter parent; the other's 3, 4 (disjoint) and 9 (excess) do not.
    assert.deepEqual(child.connections.slice(3).map((c) => c.weight), [1, 1]);
    // Gene 2 is disabled in one parent and disableInheritRate is 1: it stays disabled.
    assert.equal(child.connections[2].enabled, false);
    assert.deepEqual(child.nodes.map((n) => n.id), [0, 1, 2, 3, 4]);
    seen.add(child.connections.slice(0, 3).map((c) => c.weight).join());
  }
  assert.ok(seen.size > 1, 'matching genes are inherited at random');
});

test('compatibility distance: c1 E / N + c2 D / N + c3 W on hand-made genomes', () => {
  const a = handGenome([[0, 0, 3, 1.0], [1, 1, 3, 2.0], [3, 1, 4, 1], [4, 4, 3, 1]], [4]);
  const b = handGenome([[0, 0, 3, 0.5], [1, 1, 3, -1.0], [2, 2, 3, 1], [6, 2, 4, 1], [7, 4, 3, 1], [8, 0, 4, 1]], [4]);
  // Matching 0, 1 (|diff| 0.5 and 3.0, mean 1.75). Disjoint: 3, 4 (a), 2 (b) -> 3. Excess: 6, 7, 8 -> 3.
  const small = xorConfig({ excessCoefficient: 1, disjointCoefficient: 1, weightCoefficient: 0.4 });
  assert.ok(Math.abs(compatibilityDistance(a, b, small) - (3 + 3 + 0.4 * 1.75)) < 1e-12);
  // With N applied (normaliseAbove 0 means always normalise), N = 6 genes in the larger genome.
  const normalised = xorConfig({ excessCoefficient: 2, disjointCoefficient: 1, weightCoefficient: 0.4, normaliseAbove: 0 });
  assert.ok(Math.abs(compatibilityDistance(a, b, normalised) - ((2 * 3) / 6 + 3 / 6 + 0.4 * 1.75)) < 1e-12);
  assert.equal(compatibilityDistance(a, a, small), 0);
  assert.equal(compatibilityDistance(a, b, small), compatibilityDistance(b, a, small));
});

test('add-link never closes a cycle in a feed-forward genome', () => {
  const config = xorConfig({ addLinkTries: 50 });
  const rng = new Generator(3);
  const tracker = new InnovationTracker(2, 1);
  const g = createInitialGenome(config, rng);
  for (let i = 0; i < 30; i++) {
    if (rng.bernoulli(0.3)) mutateAddNode(g, config, tracker, rng);
    else mutateAddLink(g, config, tracker, rng);
    createNetwork(g).activate([1, 0]); // throws on a cycle
  }
  const recurrent = xorConfig({ recurrent: true });
  const h = handGenome([[0, 0, 3, 1], [1, 1, 3, 1], [2, 2, 3, 1]]);
  for (let i = 0; i < 10; i++) mutateAddLink(h, recurrent, tracker, rng);
  assert.ok(h.connections.some((c) => c.in === 3 && c.out === 3), 'recurrent genomes may gain self-loops');
});

test('weight mutation: perturbations within the mutation power, replacements within weightReplaceRange', () => {
  const rng = new Generator(5);
  const links: [number, number, number, number][] = [];
  for (let i = 0; i < 200; i++) links.push([i, i % 3, 3, 0]);
  const replaced = handGenome(links);
  mutateWeights(replaced, xorConfig({ weightPerturbRate: 0, weightReplaceRange: 0.3 }), rng);
  const w = replaced.connections.map((c) => c.weight);
  assert.ok(w.every((x) => Math.abs(x) <= 0.3) && Math.max(...w) > 0.25 && Math.min(...w) < -0.25, 'replacements fill [-0.3, 0.3]');
  const perturbed = handGenome(links.map(([i, f, t]) => [i, f, t, 5] as [number, number, number, number]));
  mutateWeights(perturbed, xorConfig({ weightPerturbRate: 1, weightPerturbPower: 0.5 }), rng);
  assert.ok(perturbed.connections.every((c) => Math.abs(c.weight - 5) <= 0.5 && c.weight !== 5), 'perturbations stay within ±power of the old weight');
  assert.throws(() => xorConfig({ weightReplaceRange: -1 }), /weightReplaceRange must be a finite number >= 0/);
});
