import { test } from 'node:test';
import assert from 'node:assert/strict';
import { genomeToSvg } from '../../../src/chapters/neat/svg.js';
import { handGenome } from './helpers.js';

test('the genome picture has a legend for what it draws: weight sign and strength, disabled and recurrent links, node kinds', () => {
  const plain = genomeToSvg(handGenome([[0, 0, 3, -2], [1, 1, 3, 1.5]]));
  for (const label of ['weight &gt; 0', 'weight &lt; 0', 'width ∝ |weight| (max 2.00)', 'input node', 'bias node', 'hidden node', 'output node']) assert.ok(plain.includes(`>${label}<`), label);
  assert.ok(!plain.includes('>disabled<') && !plain.includes('>recurrent<'), 'no entries for what is not drawn');
  const both = genomeToSvg(handGenome([[0, 0, 3, -2], [1, 1, 3, 1.5, false], [2, 3, 3, 0.5]]));
  assert.ok(both.includes('>disabled<') && both.includes('>recurrent<'));
  assert.ok(!genomeToSvg(handGenome([[0, 0, 3, -2], [1, 1, 3, 1.5, false]]), { showDisabled: false }).includes('>disabled<'));
});
