import { GradpathError } from '../../util/errors.js';
import { CITIES, DAYS, EMPLOYERS, FIRST_NAMES, FIRST_YEAR, LAST_NAMES, MAJORS, MIDDLE_NAMES, MONTHS, UNIVERSITIES, YEARS } from './lists.js';
import { ANSWER_PREFIX, QUESTIONS, TEMPLATES } from './templates.js';

/**
 * A word-level tokenizer over the generator's closed vocabulary (about 480 words). Why not GPT-2's
 * BPE: with one token per name part and per attribute value, a biography is ~60 tokens instead of
 * ~90, the embedding table is 100x smaller, and every answer but the date is one token, so the
 * experiment measures knowledge extraction, not spelling; at 2-core scale that is the budget.
 */
export class WordVocab {
  readonly words: string[];
  private readonly ids = new Map<string, number>();
  static readonly BOS = '<bos>';
  static readonly EOS = '<eos>';

  constructor(words: readonly string[]) {
    this.words = [...new Set(words)];
    this.words.forEach((w, i) => this.ids.set(w, i));
  }

  get size(): number {
    return this.words.length;
  }

  id(word: string): number {
    const i = this.ids.get(word);
    if (i === undefined) throw new GradpathError(`physics: the word '${word}' is not in the vocabulary of the biographies`);
    return i;
  }

  encode(words: readonly string[]): number[] {
    return words.map((w) => this.id(w));
  }

  decode(ids: ArrayLike<number>): string[] {
    return Array.from(ids, (i) => this.words[i] ?? '<?>');
  }
}

/** The vocabulary of the bioS world: specials, then every word the templates, questions and lists can write. */
export function bioVocab(): WordVocab {
  const templateWords = [...Object.values(TEMPLATES).flat(2), ...Object.values(QUESTIONS).flat(), ...ANSWER_PREFIX].filter((w) => !w.startsWith('{'));
  return new WordVocab([
    WordVocab.BOS, WordVocab.EOS, 'He', 'She', 'his', 'her', ',',
    ...templateWords, ...FIRST_NAMES, ...MIDDLE_NAMES, ...LAST_NAMES, ...MONTHS,
    ...Array.from({ length: DAYS }, (_, i) => String(i + 1)), ...Array.from({ length: YEARS }, (_, i) => String(FIRST_YEAR + i)),
    ...CITIES, ...UNIVERSITIES, ...MAJORS, ...EMPLOYERS,
  ]);
}
