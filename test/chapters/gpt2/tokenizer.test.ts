import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { getEncoding } from 'js-tiktoken';
import { gpt2Tokenizer, EOT } from '../../../src/chapters/gpt2/gpt2_tokenizer.js';
import { generatedText } from '../../../src/cli/bench/bpe.js';
import { GradpathError } from '../../../src/util/errors.js';

const oracle = getEncoding('gpt2');
const ours = gpt2Tokenizer();

const corpus = [
  '', ' ', 'Hello world', 'Hello world\n', "I'm here, you're there; it's THEIR'S we'll've", "DON'T 'tis 's",
  '   leading and trailing spaces   ', 'tabs\tand\t\tmore\t', 'many\n\n\n\nnewlines\r\nwindows\r\n', ' \n \n  \n',
  'a' + ' '.repeat(100) + 'b', ' '.repeat(257), '\u00a0non-breaking\u2003em space\u3000ideographic',
  'naïve café résumé Ångström', 'Привет мир', '東京は日本の首都です。', '안녕하세요', 'مرحبا بالعالم', 'नमस्ते दुनिया',
  '🙂😀👍🏽 👨‍👩‍👧‍👦 🇫🇷 emoji! 🤖', '\u{1F600}\u{1F601}', 'e\u0301 combining', 'lone \ud800 surrogate',
  'def f(x):\n    return x ** 2  # square\n', 'for (let i = 0; i < n; i++) { a[i] += b[i] * 3.5e-2; }',
  '<html><body class="x">&amp; &lt;</body></html>', '{"a": [1, 2, 3], "b": null}', 'https://example.com/path?q=1&r=two#frag',
  '1234567890 3.14159 -42 1e10 0x1F 1,000,000', '$$$ %%% ^^^ ~~~ ``` ... !!! ???', 'x' + '!'.repeat(60) + 'y',
  'Hello<|endoftext|>World', '<|endoftext|>', 'a<|endoftext|><|endoftext|>b', '<|endoftext', 'endoftext|>',
  'The quick brown fox jumps over the lazy dog. '.repeat(20), 'ÿþ\u0000\u0001\u007f control', '\u2028\u2029 separators',
];

test('gpt2 tokenizer: identical ids to js-tiktoken on a varied corpus (special tokens allowed)', () => {
  for (const text of corpus) {
    assert.deepEqual(ours.encode(text), oracle.encode(text, 'all'), JSON.stringify(text));
  }
});

test('gpt2 tokenizer: identical ids with special tokens as plain text; decode inverts encode', () => {
  for (const text of corpus) {
    const ids = ours.encode(text, 'none');
    assert.deepEqual(ids, oracle.encode(text, [], []), JSON.stringify(text));
    assert.ok(!ids.includes(EOT) || !text.includes('<|endoftext|>'));
    assert.equal(ours.decode(ids), oracle.decode(ids));
    if (!text.includes('\ud800')) assert.equal(ours.decode(ids), text);
  }
});

test('gpt2 tokenizer: random strings and a generated megabyte agree with js-tiktoken', () => {
  const pool = [...'abcXYZ019 \t\n\r\'"-_.,;:!?()[]{}<>|/\\@#$%^&*+=~`', 'é', 'ß', 'ж', '中', '文', '🙂', '👍🏽', '\u0301', '\u00a0'];
  let x = 7;
  for (let n = 0; n < 300; n++) {
    let s = '';
    const len = (n * 7) % 80;
    for (let i = 0; i < len; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      s += pool[x % pool.length];
    }
    assert.deepEqual(ours.encode(s), oracle.encode(s, 'all'), JSON.stringify(s));
  }
  const big = generatedText(200_000);
  assert.deepEqual(ours.encode(big), oracle.encode(big, 'all'));
});

test('gpt2 tokenizer: tinyshakespeare (when present) agrees, 338025 tokens', { skip: !existsSync('/work/shared/data/tinyshakespeare.txt') }, () => {
  const text = readFileSync('/work/shared/data/tinyshakespeare.txt', 'utf8');
  const ids = ours.encode(text);
  assert.equal(ids.length, 338025);
  assert.deepEqual(ids, oracle.encode(text, 'all'));
});

test('gpt2 tokenizer: known ids, vocabulary size, and refusal of ids outside the vocabulary', () => {
  assert.deepEqual(ours.encode('Hello world'), [15496, 995]);
  assert.equal(ours.vocabSize, 50257);
  assert.equal(ours.decode([EOT]), '<|endoftext|>');
  assert.throws(() => ours.decode([15496, 50257]), (e: Error) => e instanceof GradpathError && /50257.*outside the vocabulary/.test(e.message));
  assert.throws(() => ours.decode([-1]), GradpathError);
});
