import { GradpathError } from '../../util/errors.js';
import { Generator } from '../../util/random.js';
import { ATTRIBUTES, attributeValue, fullName, type Attribute, type Person } from './people.js';
import { ANSWER_PREFIX, QUESTIONS, TEMPLATES } from './templates.js';

/**
 * How the pretraining biographies are written (the paper's knowledge augmentations):
 *   multiplicity  biographies per person, each with freshly drawn templates (single: 1, multi5: 5)
 *   permute       each biography's six sentences in its own random order (else the fixed order)
 *   fullname      every sentence names the person in full (else a pronoun after the first)
 */
export interface Augment {
  multiplicity: number;
  permute: boolean;
  fullname: boolean;
}

/** 'single', 'multi5', 'permute', 'fullname' and '+' combinations such as 'multi5+permute+fullname'. */
export function parseAugment(spec: string): Augment {
  const a: Augment = { multiplicity: 1, permute: false, fullname: false };
  const parts = spec.split('+').map((s) => s.trim());
  for (const part of parts) {
    const multi = /^multi(\d+)$/.exec(part);
    if (part === 'single' && parts.length > 1) throw new GradpathError(`physics: 'single' means no augmentation and combines with nothing; got '${spec}'`);
    if (part === 'single') a.multiplicity = 1;
    else if (part === 'permute') a.permute = true;
    else if (part === 'fullname') a.fullname = true;
    else if (multi && Number(multi[1]) >= 1 && Number(multi[1]) <= 50) a.multiplicity = Number(multi[1]);
    else throw new GradpathError(`physics: unknown augmentation '${part}' in '${spec}'; use single, multiK (K = 1..50), permute, fullname, joined by '+' (e.g. multi5+permute)`);
  }
  return a;
}

/** The canonical spelling of an augmentation ('single' for none). */
export function augmentName(a: Augment): string {
  const parts = [a.multiplicity > 1 ? `multi${a.multiplicity}` : '', a.permute ? 'permute' : '', a.fullname ? 'fullname' : ''].filter(Boolean);
  return parts.length ? parts.join('+') : 'single';
}

/** Where each attribute's value sits in a biography's words (index of its first word). */
export interface Biography {
  person: number;
  words: string[];
  valueAt: Record<Attribute, number>;
}

function capitalise(w: string): string {
  return w[0].toUpperCase() + w.slice(1);
}

/** One biography: the given sentence order and templates; the first sentence always names the person in full. */
export function writeBiography(p: Person, person: number, order: readonly Attribute[], templates: Record<Attribute, number>, fullnameEverywhere: boolean): Biography {
  const words: string[] = [];
  const valueAt = {} as Record<Attribute, number>;
  const possessive = p.pronoun === 'he' ? 'his' : 'her';
  order.forEach((a, i) => {
    for (const w of TEMPLATES[a][templates[a]]) {
      if (w === '{S}') words.push(...(i === 0 || fullnameEverywhere ? fullName(p) : [capitalise(p.pronoun)]));
      else if (w === '{his}') words.push(possessive);
      else if (w === '{V}') {
        valueAt[a] = words.length;
        words.push(...attributeValue(p, a));
      } else words.push(w);
    }
  });
  return { person, words, valueAt };
}

/** Every person's biographies under an augmentation, deterministic per seed (people in order, then their copies). */
export function makeBiographies(people: readonly Person[], aug: Augment, seed: number): Biography[] {
  const gen = new Generator(seed);
  const out: Biography[] = [];
  people.forEach((p, i) => {
    for (let k = 0; k < aug.multiplicity; k++) {
      const templates = {} as Record<Attribute, number>;
      for (const a of ATTRIBUTES) templates[a] = gen.randint(0, TEMPLATES[a].length);
      const order = aug.permute ? gen.randperm(ATTRIBUTES.length).map((j) => ATTRIBUTES[j]) : ATTRIBUTES;
      out.push(writeBiography(p, i, order, templates, aug.fullname));
    }
  });
  return out;
}

/** One question and its answer: `prompt` ends with `Answer :`, `answer` are the words to produce. */
export interface QA {
  person: number;
  attribute: Attribute;
  prompt: string[];
  answer: string[];
}

export function makeQA(people: readonly Person[], which: readonly number[]): QA[] {
  const out: QA[] = [];
  for (const i of which) {
    for (const a of ATTRIBUTES) {
      const prompt = QUESTIONS[a].flatMap((w) => (w === '{N}' ? fullName(people[i]) : [w]));
      out.push({ person: i, attribute: a, prompt: [...prompt, ...ANSWER_PREFIX], answer: attributeValue(people[i], a) });
    }
  }
  return out;
}

/**
 * The split of the paper: a fraction p of the people (seeded) have their questions in the
 * finetune (or mixed) training set; the rest are the out-of-distribution people.
 */
export function splitPeople(n: number, fraction: number, seed: number): { train: number[]; test: number[] } {
  if (!(fraction > 0 && fraction < 1)) throw new GradpathError(`physics: --qa-fraction must be in (0, 1); got ${fraction}`);
  const perm = new Generator(seed).randperm(n);
  const k = Math.max(1, Math.min(n - 1, Math.round(fraction * n)));
  return { train: perm.slice(0, k).sort((a, b) => a - b), test: perm.slice(k).sort((a, b) => a - b) };
}
