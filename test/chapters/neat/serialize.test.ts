import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetwork } from '../../../src/chapters/neat/network.js';
import { genomeToSvg } from '../../../src/chapters/neat/svg.js';
import { genomeToJson, loadGenome, parseGenome, saveGenome } from '../../../src/chapters/neat/serialize.js';
import { genomeToSvg as fromIndex } from '../../../src/chapters/neat/index.js';
import { GradpathError } from '../../../src/util/errors.js';
import { handGenome } from './helpers.js';

const xorNet = () => handGenome([[0, 0, 3, -2], [1, 1, 3, -2], [2, 2, 3, -1], [3, 0, 4, 3], [4, 4, 3, 5], [5, 1, 4, 3], [6, 2, 4, -4.5], [7, 2, 5, 0.1, false]], [4, 5]);

test('a genome survives a JSON round trip, and so does its behaviour', () => {
  const dir = mkdtempSync(join(tmpdir(), 'neat-'));
  const g = xorNet();
  saveGenome(join(dir, 'g.json'), g, { fitness: 12.5, info: { pipes: 3 } });
  const back = loadGenome(join(dir, 'g.json'));
  assert.deepEqual(back.genome, g);
  assert.equal(back.fitness, 12.5);
  assert.deepEqual(back.info, { pipes: 3 });
  const a = createNetwork(g);
  const b = createNetwork(back.genome);
  for (const x of [[0, 0], [0, 1], [1, 0], [1, 1]]) assert.deepEqual(a.activate(x), b.activate(x));
});

test('a file that is not a valid genome is one clear GradpathError line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'neat-'));
  const good = JSON.parse(genomeToJson(xorNet()));
  const cases: [string, RegExp][] = [
    ['{ not json', /is not a valid genome file: not JSON/],
    ['[1, 2]', /expected a JSON object/],
    [JSON.stringify({ ...good, format: 'something-else' }), /"format" must be/],
    [JSON.stringify({ ...good, genome: { ...good.genome, connections: [{ ...good.genome.connections[0], in: 99 }] } }), /refers to a missing node/],
    [JSON.stringify({ ...good, genome: { ...good.genome, connections: [{ ...good.genome.connections[0], weight: 'big' }] } }), /non-numeric weight/],
    [JSON.stringify({ ...good, genome: { ...good.genome, connections: [...good.genome.connections, { innovation: 9, in: 4, out: 4, weight: 1, enabled: true }] } }), /cycle but is not marked "recurrent"/],
    [JSON.stringify({ ...good, genome: { ...good.genome, nodes: good.genome.nodes.slice(1) } }), /node 0 must be the input node/],
  ];
  for (const [text, message] of cases) {
    const path = join(dir, 'bad.json');
    writeFileSync(path, text);
    assert.throws(() => loadGenome(path), (e: Error) => e instanceof GradpathError && message.test(e.message) && e.message.includes(path) && !e.message.includes('\n'), text);
  }
  assert.throws(() => loadGenome(join(dir, 'missing.json')), /cannot read genome file .*ENOENT/);
  // A self-loop is fine when the file says the network is recurrent.
  const recurrent = { ...good, recurrent: true, genome: { ...good.genome, connections: [...good.genome.connections, { innovation: 9, in: 4, out: 4, weight: 1, enabled: true }] } };
  assert.equal(parseGenome(JSON.stringify(recurrent)).recurrent, true);
});

test('the SVG picture has every node, coloured links by sign and dashed disabled links', () => {
  const svg = genomeToSvg(xorNet(), { inputNames: ['a', 'b'], title: 'XOR' });
  assert.equal(fromIndex, genomeToSvg);
  assert.ok(svg.startsWith('<svg'));
  assert.equal((svg.match(/<circle/g) ?? []).length, 6);
  assert.ok(svg.includes('#2166ac') && svg.includes('#d6604d'));
  assert.ok(svg.includes('stroke-dasharray'));
  assert.ok(svg.includes('>a</text>'));
  assert.ok(!genomeToSvg(xorNet(), { showDisabled: false }).includes('stroke-dasharray'));
});
