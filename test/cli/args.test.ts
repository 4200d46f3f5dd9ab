import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOptions, helpText, defineCommand } from '../../src/cli/args.js';
import { GradpathError } from '../../src/util/errors.js';

const spec = {
  'max-steps': { type: 'int', default: 100, min: 1, help: 'steps' },
  'learning-rate': { type: 'float', default: 0.1, help: 'lr' },
  type: { type: 'choice', choices: ['a', 'b'], default: 'a', help: 'model' },
  json: { type: 'boolean', help: 'json' },
  out: { type: 'string', short: 'o', help: 'dir' },
} as const;

test('parses typed flags into camelCase keys with defaults', () => {
  const { opts } = parseOptions('t', spec, ['--max-steps', '7', '-o', 'x', '--json']);
  assert.equal(opts.maxSteps, 7);
  assert.equal(opts.learningRate, 0.1);
  assert.equal(opts.type, 'a');
  assert.equal(opts.json, true);
  assert.equal(opts.out, 'x');
});

test('bad values name the flag and the value', () => {
  assert.throws(() => parseOptions('t', spec, ['--max-steps', 'abc']), (e: Error) => e instanceof GradpathError && /--max-steps expects an integer; got 'abc'/.test(e.message));
  assert.throws(() => parseOptions('t', spec, ['--max-steps', '0']), /--max-steps must be positive; got 0/);
  assert.throws(() => parseOptions('t', spec, ['--type', 'c']), /must be one of a, b/);
  assert.throws(() => parseOptions('t', spec, ['--nope']), GradpathError);
});

test('help lists every flag with its default', () => {
  const text = helpText('gradpath t', defineCommand({ name: 't', summary: 'A test command', options: spec }));
  for (const flag of ['--max-steps', '--learning-rate', '--type a|b', '--json', '-o, --out']) assert.ok(text.includes(flag), flag);
  assert.ok(text.includes('(default: 100)'));
});
