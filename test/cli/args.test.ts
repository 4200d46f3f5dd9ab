import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOptions, helpText, defineCommand, kebab, checkPaths } from '../../src/cli/args.js';
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
  assert.throws(() => parseOptions('t', spec, ['--max-steps', '0']), /--max-steps must be at least 1 \(a positive integer\); got 0/);
  assert.throws(() => parseOptions('t', spec, ['--type', 'c']), /must be one of a, b/);
  assert.throws(() => parseOptions('t', spec, ['--nope']), GradpathError);
});

test('help lists every flag with its default', () => {
  const text = helpText('gradpath t', defineCommand({ name: 't', summary: 'A test command', options: spec }));
  for (const flag of ['--max-steps', '--learning-rate', '--type a|b', '--json', '-o, --out']) assert.ok(text.includes(flag), flag);
  assert.ok(text.includes('(default: 100)'));
});

const lr = { type: 'float', min: 0, aliases: ['learning-rate'], help: 'lr' } as const;
const aliased = {
  input: { type: 'string', short: 'i', help: 'file' },
  'max-steps': { type: 'int', min: 1, aliases: ['max-iters'], help: 'steps' },
  'eval-every': { type: 'int', min: 1, default: 10, aliases: ['eval-interval'], help: 'every' },
  lr,
  seed: { type: 'int', default: 1, help: 'seed' },
  'n-embd2': { type: 'int', min: 1, help: 'width' },
  json: { type: 'boolean', help: 'json' },
} as const;

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'gp-args-'));
}

test('an alias parses into the flag it names; both spellings at once is an error', () => {
  const { opts } = parseOptions('t', aliased, ['--max-iters', '5', '--learning-rate', '0.5', '--eval-interval', '3']);
  assert.equal(opts.maxSteps, 5);
  assert.equal(opts.lr, 0.5);
  assert.equal(opts.evalEvery, 3);
  // nanoGPT's configurator spelling
  assert.equal(parseOptions('t', aliased, ['--max_iters=4', '--eval_interval', '2']).opts.maxSteps, 4);
  assert.throws(() => parseOptions('t', aliased, ['--max-iters', '5', '--max-steps', '6']), /--max-steps and --max-iters are the same flag|--max-iters and --max-steps are the same flag/);
  const help = helpText('gradpath t', defineCommand({ name: 't', summary: 's', options: aliased, run: () => 0 }));
  assert.match(help, /--max-steps N +steps \[also --max-iters\]/);
  assert.match(help, /--config FILE\.json/);
});

test('a negative number as a separate argument gets one line about the range, and is allowed where it fits', () => {
  for (const [argv, re] of [[['--max-steps', '-5'], /^t: --max-steps must be at least 1 \(a positive integer\); got -5$/], [['--lr', '-0.1'], /^t: --lr must be at least 0 \(not negative\); got -0.1$/], [['--max-iters', '-.5'], /^t: --max-iters expects an integer; got '-.5'$/]] as const) {
    assert.throws(() => parseOptions('t', aliased, [...argv]), (e: Error) => e instanceof GradpathError && re.test(e.message) && !e.message.includes('\n'), argv.join(' '));
  }
  assert.equal(parseOptions('t', aliased, ['--seed', '-3']).opts.seed, -3);
  // parseArgs' other messages are cut to one line
  assert.throws(() => parseOptions('t', aliased, ['--nope']), (e: Error) => /^t: Unknown option '--nope' \(see/.test(e.message) && !e.message.includes('\n'));
  assert.throws(() => parseOptions('t', aliased, ['--max-step', '3']), /Unknown option '--max-step'; did you mean --max-steps\?/);
  assert.throws(() => parseOptions('t', aliased, ['-i', '-x']), (e: Error) => !e.message.includes('\n') && /ambiguous/.test(e.message));
});

test('a stray argument is the input file where there is one, and refused with one line otherwise', () => {
  const got = parseOptions('t', aliased, ['names.txt', '--json']);
  assert.equal(got.opts.input, 'names.txt');
  assert.deepEqual(got.positionals, []);
  assert.throws(() => parseOptions('t', aliased, ['a.txt', '-i', 'b.txt']), /given twice/);
  assert.throws(() => parseOptions('t', aliased, ['a.txt', 'b.txt']), /one input file/);
  assert.throws(() => parseOptions('t', { json: aliased.json }, ['stray']), /^GradpathError: t: unexpected argument 'stray': this command reads no file argument/);
  assert.throws(() => parseOptions('t', aliased, ['config/train_shakespeare_char.py']), /nanoGPT \.py config.*--config FILE\.json/);
  assert.deepEqual(parseOptions('t', aliased, ['a.txt', 'b.txt'], true).positionals, ['a.txt', 'b.txt']);
});

test('--config: kebab, camel and snake keys; the command line wins; unknown keys are one note', () => {
  const dir = tmp();
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ max_iters: 7, learningRate: 0.25, 'eval-every': 4, nEmbd2: 9, json: true, vocab: 'abc', beta2: 0.99, model: { n: 1 } }));
  const { opts, notes } = parseOptions('t', aliased, ['--config', file, '--eval-every', '2']);
  assert.equal(opts.maxSteps, 7);
  assert.equal(opts.lr, 0.25);
  assert.equal(opts.evalEvery, 2);
  assert.equal(opts.nEmbd2, 9);
  assert.equal(opts.json, true);
  assert.equal(notes.length, 1);
  assert.match(notes[0], /ignored 3 key\(s\) that are not flags of this command: vocab, beta2, model\.n/);
  // grouped settings (gpt2 train's config.json keeps the model's under "model") count too; the top level wins
  writeFileSync(file, JSON.stringify({ model: { n_embd2: 5, seed: 3, shape: [1, 2] }, seed: 4 }));
  const grouped = parseOptions('t', aliased, ['--config', file]);
  assert.equal(grouped.opts.nEmbd2, 5);
  assert.equal(grouped.opts.seed, 4);
  assert.match(grouped.notes[0], /ignored 1 key\(s\) .*: model\.shape$/);
  // the config's values are checked like the command line's
  writeFileSync(file, JSON.stringify({ max_steps: -1 }));
  assert.throws(() => parseOptions('t', aliased, ['--config', file]), /--max-steps \(from --config\) must be at least 1 \(a positive integer\); got -1/);
  writeFileSync(file, JSON.stringify({ json: 'yes' }));
  assert.throws(() => parseOptions('t', aliased, ['--config', file]), /"json" should be true or false/);
  writeFileSync(file, '{"max_steps": 3,');
  assert.throws(() => parseOptions('t', aliased, ['--config', file]), /is not valid JSON/);
  writeFileSync(file, '[1, 2]');
  assert.throws(() => parseOptions('t', aliased, ['--config', file]), /must hold one JSON object/);
  assert.throws(() => parseOptions('t', aliased, ['--config', join(dir, 'missing.json')]), /--config .*missing\.json: does not exist/);
  rmSync(dir, { recursive: true, force: true });
});

test('paths are checked before a command runs: inputs exist, outputs can be made', () => {
  const dir = tmp();
  const file = join(dir, 'f.txt');
  writeFileSync(file, 'x');
  const specs = { input: { type: 'string', path: 'file', help: 'in' }, out: { type: 'string', path: 'out-dir', help: 'out' }, save: { type: 'string', path: 'out-file', help: 'save' } } as const;
  const check = (argv: string[]) => checkPaths('t', specs, parseOptions('t', specs, argv).opts);
  assert.throws(() => check(['--input', join(dir, 'nope.txt')]), /--input .*nope\.txt: does not exist/);
  assert.throws(() => check(['--input', dir]), /is a directory; give a file/);
  assert.throws(() => check(['--out', file]), /is a file, not a directory/);
  assert.throws(() => check(['--out', join(file, 'sub')]), /is a file, so nothing can be made inside it/);
  assert.throws(() => check(['--save', dir]), /is a directory; give a file name/);
  assert.doesNotThrow(() => check(['--input', file, '--out', join(dir, 'new', 'run'), '--save', join(dir, 'x.json')]));
  rmSync(dir, { recursive: true, force: true });
});

test('kebab() reads the three spellings of a key', () => {
  for (const k of ['max_new_tokens', 'maxNewTokens', 'max-new-tokens']) assert.equal(kebab(k), 'max-new-tokens');
  assert.equal(kebab('nEmbd2'), 'n-embd2');
  assert.equal(kebab('nKvHead'), 'n-kv-head');
});
