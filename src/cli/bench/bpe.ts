import { readTextFile } from '../../data/text.js';
import { defineCommand } from '../args.js';
import { GradpathError } from '../../util/errors.js';
import { gpt2Tokenizer } from '../../chapters/gpt2/gpt2_tokenizer.js';

/**
 * `gradpath bench bpe`: our GPT-2 encoder against js-tiktoken's on the same text in the same
 * process, so the ratio holds even on a busy machine. Both are checked to agree. js-tiktoken is a
 * devDependency: without it, ours is timed alone.
 */

interface Encoder { encode(text: string, allowedSpecial: 'all'): number[] }

/** js-tiktoken's GPT-2 encoder, or null when the package is not installed. */
async function jsTiktoken(): Promise<Encoder | null> {
  try {
    const { getEncoding } = await import('js-tiktoken');
    return getEncoding('gpt2') as Encoder;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return null;
    throw err;
  }
}

/** About n bytes of varied text (prose, code, numbers, unicode, whitespace runs), deterministic. */
export function generatedText(n: number): string {
  const words = ['the', 'model', 'learns', 'tokens', 'from', 'bytes', 'and', 'merges', 'Hello', 'world', "don't", "it's", 'GPT-2', 'naïve',
    'café', '東京', 'Привет', '🙂', '😀👍', 'x = f(y) + 3;', '\tif (a) {', '    return b;', '}', '1234567', '3.14159', '<|endoftext|>', '\n\n', '   '];
  let s = '', x = 12345;
  while (s.length < n) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    s += words[x % words.length] + (x % 7 === 0 ? '\n' : ' ');
  }
  return s;
}

function best(fn: () => void, repeats: number): number {
  let t = Infinity;
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    fn();
    t = Math.min(t, performance.now() - t0);
  }
  return t / 1000;
}

export const command = defineCommand({
  name: 'bpe',
  summary: 'GPT-2 tokenizer speed: ours vs js-tiktoken on the same ~1 MB text',
  options: {
    input: { type: 'string', short: 'i', path: 'file', help: 'Text to encode (default: 1 MB of generated varied text)', placeholder: 'FILE' },
    repeats: { type: 'int', min: 1, default: 3, help: 'Timed runs each (the best is reported)' },
    json: { type: 'boolean', help: 'Print one JSON object' },
  },
  async run(opts) {
    let text: string;
    if (opts.input) {
      text = readTextFile(opts.input);
    } else text = generatedText(1 << 20);
    const bytes = Buffer.byteLength(text, 'utf8');

    let t0 = performance.now();
    const ours = gpt2Tokenizer();
    const loadOurs = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const theirs = await jsTiktoken();
    const loadTheirs = (performance.now() - t0) / 1000;
    if (!theirs) console.error('js-tiktoken is not installed, so only gradpath\'s encoder is timed; to compare: npm install js-tiktoken');

    // Our encoder caches pieces it has seen; "cold" clears that cache before each run (the fair
    // comparison), "warm" keeps it (a long corpus, where most words repeat).
    const a = ours.encode(text);
    let same: boolean | null = null;
    if (theirs) {
      const b = theirs.encode(text, 'all');
      same = a.length === b.length && a.every((v, i) => v === b[i]);
      if (!same) throw new GradpathError('bench bpe: our token ids differ from js-tiktoken\'s on this text (a bug: please report it)');
    }
    const oursS = best(() => {
      ours.clearCache();
      ours.encode(text);
    }, opts.repeats);
    const warmS = best(() => ours.encode(text), opts.repeats);
    const theirsS = theirs ? best(() => theirs.encode(text, 'all'), opts.repeats) : null;
    const result = {
      bytes, tokens: a.length, identical: same,
      ours_s: oursS, ours_warm_s: warmS, js_tiktoken_s: theirsS, speedup: theirsS === null ? null : theirsS / oursS,
      ours_mb_per_s: bytes / 1e6 / oursS, js_tiktoken_mb_per_s: theirsS === null ? null : bytes / 1e6 / theirsS,
      load_ours_s: loadOurs, load_js_tiktoken_s: theirs ? loadTheirs : null,
    };
    if (opts.json) {
      console.log(JSON.stringify(result));
      return;
    }
    console.log(`text: ${bytes} bytes -> ${a.length} tokens${same === null ? '' : ` (identical ids: ${same})`}`);
    console.log(`gradpath    ${oursS.toFixed(3)} s  ${result.ours_mb_per_s.toFixed(2)} MB/s  (load ${loadOurs.toFixed(2)} s; ${warmS.toFixed(3)} s with a warm piece cache)`);
    if (theirsS === null) return;
    console.log(`js-tiktoken ${theirsS.toFixed(3)} s  ${result.js_tiktoken_mb_per_s!.toFixed(2)} MB/s  (load ${loadTheirs.toFixed(2)} s)`);
    console.log(`speedup: ${result.speedup!.toFixed(2)}x (best of ${opts.repeats})`);
  },
});
