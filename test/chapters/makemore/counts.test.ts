import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Vocab, countBigrams, bigramProbabilities, bigramNLL, bigramHeatmapSVG, sampleBigram } from '../../../src/chapters/makemore/index.js';
import { Generator } from '../../../src/util/random.js';

test('count bigram NLL on a hand-made dataset equals the hand-computed value', () => {
  // items 'ab' and 'b'; tokens . a b. Pairs: .a ab b. | .b b.
  const items = ['ab', 'b'];
  const v = Vocab.fromItems(items);
  const N = countBigrams(items, v);
  assert.deepEqual(N, [[0, 1, 1], [0, 0, 1], [2, 0, 0]]);
  // +1 smoothing: row . = [1,2,2]/5, row a = [1,1,2]/4, row b = [3,1,1]/5
  const P = bigramProbabilities(N, 1);
  assert.deepEqual(P[1], [0.25, 0.25, 0.5]);
  // NLL = -(log 2/5 + log 2/4 + log 3/5 + log 2/5 + log 3/5) / 5 = 0.70947...
  const expected = -(2 * Math.log(0.4) + Math.log(0.5) + 2 * Math.log(0.6)) / 5;
  assert.ok(Math.abs(expected - 0.7094758) < 1e-6);
  assert.ok(Math.abs(bigramNLL(P, items, v) - expected) < 1e-12);
});

test('count bigram samples use the vocabulary; the heatmap has a cell per pair', () => {
  const items = ['emma', 'ava', 'mia'];
  const v = Vocab.fromItems(items);
  const N = countBigrams(items, v);
  for (const s of sampleBigram(bigramProbabilities(N, 0), v, 20, new Generator(1))) assert.match(s, /^[aeimv]+$/);
  const svg = bigramHeatmapSVG(N, v);
  assert.ok(svg.startsWith('<svg'));
  assert.equal(svg.match(/<rect /g)!.length, 1 + v.size * v.size);
  assert.ok(svg.includes('>mm<'));
});
