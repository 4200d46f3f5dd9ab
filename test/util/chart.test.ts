import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeXml, el, svgDocument } from '../../src/util/svg.js';
import { formatTick, linearTicks, logTicks, makeScale, niceStep } from '../../src/util/scale.js';
import { barChart, lineChart } from '../../src/util/chart.js';

test('escapeXml escapes the five XML characters, el leaves out empty attributes and rounds numbers', () => {
  assert.equal(escapeXml(`a<b & "c" 'd'>`), 'a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;');
  assert.equal(el('rect', { x: 0.1 + 0.2, y: 3, fill: 'a"b', stroke: undefined, dash: '' }), '<rect x="0.3" y="3" fill="a&quot;b"/>');
  const doc = svgDocument(10, 20, ['<g/>']);
  assert.match(doc, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="10" height="20" viewBox="0 0 10 20"[^>]*>\n<rect[^>]*\/>\n<g\/>\n<\/svg>\n$/);
});

test('nice ticks: 1, 2, 2.5 or 5 times a power of ten, both ends covered', () => {
  assert.equal(niceStep(0, 1, 4), 0.25);
  assert.deepEqual(linearTicks(0, 1, 4), [0, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual(linearTicks(0, 100, 5), [0, 20, 40, 60, 80, 100]);
  assert.deepEqual(linearTicks(0.1, 0.3, 2), [0.1, 0.2, 0.3]); // no 0.30000000000000004
  assert.deepEqual(logTicks(0.1, 10), [0.1, 0.2, 0.5, 1, 2, 5, 10]); // few decades: 2x and 5x too
  assert.deepEqual(logTicks(0.01, 10), [0.01, 0.1, 1, 10]);
  assert.deepEqual(logTicks(1e-9, 10), [1e-9, 1e-7, 1e-5, 1e-3, 1e-1, 10]);
});

test('tick labels read as numbers a person writes (never 0e+0)', () => {
  assert.equal(formatTick(0, 0.25), '0');
  assert.equal(formatTick(0.25, 0.25), '0.25');
  assert.equal(formatTick(0.5, 0.25), '0.5');
  assert.equal(formatTick(1500, 500), '1.5k');
  assert.equal(formatTick(20000, 5000), '20k');
  assert.equal(formatTick(3e6, 1e6), '3M');
  assert.equal(formatTick(1e-5), '1e-5');
  assert.equal(formatTick(0.001), '0.001');
  assert.equal(formatTick(400, 100), '400');
});

test('a scale maps its domain onto pixels, widened to nice ends; log scales skip non-positive values', () => {
  const y = makeScale([0.13, 0.87], {}, 100, 0, 4);
  assert.deepEqual(y.domain, [0, 1]);
  assert.equal(y(0), 100);
  assert.equal(y(1), 0);
  const l = makeScale([0, 0.03, 7], { log: true }, 0, 300);
  assert.deepEqual(l.domain, [0.01, 10]);
  assert.ok(Math.abs(l(0.1) - 100) < 1e-9);
  const flat = makeScale([2, 2], {}, 0, 10);
  assert.ok(flat.domain[0] < 2 && flat.domain[1] > 2);
});

test('a line chart has a polyline per series, tick labels, axis labels and a legend entry per series', () => {
  const svg = lineChart([
    { title: 'loss', x: { label: 'step' }, y: { label: 'loss', log: true }, series: [
      { label: 'train', points: [[0, 2], [10, 0.5], [20, 0.05]], markers: true },
      { label: 'val', points: [[0, 2.1], [10, 0.7], [20, 0.2]] },
    ] },
    { title: 'accuracy', y: { min: 0, max: 1 }, series: [{ label: 'acc <val>', points: [[0, 0.1], [20, 0.9]] }] },
  ], { title: 'a & b' });
  assert.equal((svg.match(/<polyline/g) ?? []).length, 3);
  assert.equal((svg.match(/<circle/g) ?? []).length, 4); // train's 3 markers and its legend sample
  for (const label of ['>0.1<', '>1<', '>0.25<', '>step<', '>loss (log scale)<', '>train<', '>val<', '>acc &lt;val&gt;<', '>a &amp; b<']) assert.ok(svg.includes(label), label);
  assert.ok(!svg.includes('e+'), 'no exponent labels like 0e+0');
  assert.ok(!svg.includes('NaN'));
});

test('a bar chart draws one bar per value, on the given scale, with its legend', () => {
  const svg = barChart([{ labels: ['1', '2', '3'], values: [1, 4, 2], colors: ['red', 'blue', 'red'], annotations: [undefined, 'peak', undefined], y: { min: 0, max: 5 }, legend: [{ label: 'key', color: 'blue', swatch: true }] }]);
  assert.equal((svg.match(/<rect [^>]*fill="(red|blue)"/g) ?? []).length, 4); // 3 bars + 1 swatch
  assert.ok(svg.includes('>peak<') && svg.includes('>key<') && svg.includes('>5<'));
});
