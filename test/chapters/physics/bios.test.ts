import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ATTRIBUTES, attributeValue, augmentName, bioVocab, biographyRow, fullName, makeBiographies, makePeople, makeQA, parseAugment, qaRow, splitPeople,
  TEMPLATES, writeBiography, type Attribute, MAX_VALUES, PROBE_FIELDS, fieldClasses, fieldLabel, headquarters,
} from '../../../src/chapters/physics/index.js';
import { GradpathError } from '../../../src/util/errors.js';

test('people: deterministic per seed, unique full names, employer city follows the employer', () => {
  const a = makePeople(300, 7), b = makePeople(300, 7), c = makePeople(300, 8);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.equal(new Set(a.map((p) => fullName(p).join(' '))).size, 300, 'every full name once');
  const cityOf = new Map<string, string>();
  for (const p of a) {
    const [employer] = attributeValue(p, 'employer'), [city] = attributeValue(p, 'employer_city');
    assert.equal(cityOf.get(employer) ?? city, city, 'one headquarters per employer');
    cityOf.set(employer, city);
  }
  assert.throws(() => makePeople(1, 1), GradpathError);
  assert.throws(() => makePeople(1e6, 1), /too many/);
});

test('people with fewer values per attribute: every field drawn from the first K of its list, the full lists unchanged at 30', () => {
  assert.deepEqual(makePeople(50, 7, MAX_VALUES), makePeople(50, 7), 'the full world is the default');
  const few = makePeople(300, 7, 10);
  for (const f of PROBE_FIELDS) {
    assert.equal(fieldClasses(f, 10), 10);
    const seen = new Set(few.map((p) => fieldLabel(p, f)));
    assert.equal(seen.size, 10, `${f}: all ten values drawn, and no other`);
    assert.ok(Math.max(...seen) < 10);
  }
  for (const p of few) assert.equal(p.employerCity, headquarters(p.employer, 10), 'the employer city follows the employer');
  assert.equal(new Set(Array.from({ length: 10 }, (_, e) => headquarters(e, 10))).size, 10, 'ten employers, ten headquarters');
  assert.equal(fieldClasses('birth_day'), 28);
  assert.throws(() => makePeople(10, 1, 31), /--values must be a whole number from 2 to 30/);
  assert.throws(() => makePeople(10, 1, 1), GradpathError);
});

test('augmentations: parsed, named canonically, refused with the list when unknown', () => {
  assert.deepEqual(parseAugment('single'), { multiplicity: 1, permute: false, fullname: false });
  assert.deepEqual(parseAugment('permute+multi5'), { multiplicity: 5, permute: true, fullname: false });
  assert.equal(augmentName(parseAugment('fullname+multi3+permute')), 'multi3+permute+fullname');
  assert.equal(augmentName(parseAugment('multi1')), 'single');
  assert.throws(() => parseAugment('multi5+shuffle'), /unknown augmentation 'shuffle'.*single, multiK/);
  assert.throws(() => parseAugment('single+multi5'), /combines with nothing/);
});

test('biographies: deterministic per seed; multiplicity, order and names as the variant says', () => {
  const people = makePeople(20, 3);
  assert.deepEqual(makeBiographies(people, parseAugment('multi5+permute'), 9), makeBiographies(people, parseAugment('multi5+permute'), 9));
  const single = makeBiographies(people, parseAugment('single'), 9);
  assert.equal(single.length, 20);
  for (const bio of single) {
    const order = ATTRIBUTES.map((a) => bio.valueAt[a]);
    assert.deepEqual(order, [...order].sort((x, y) => x - y), 'single: the fixed attribute order');
    const name = fullName(people[bio.person]).join(' ');
    assert.equal(bio.words.join(' ').split(name).length - 1, 1, 'single: the full name once, pronouns after');
  }
  const multi = makeBiographies(people, parseAugment('multi5'), 9);
  assert.equal(multi.length, 100);
  assert.ok(new Set(multi.filter((b) => b.person === 0).map((b) => b.words.join(' '))).size > 1, 'multi5: the copies differ in wording');
  const permuted = makeBiographies(people, parseAugment('permute'), 9);
  assert.ok(permuted.some((b) => b.valueAt.birth_date > b.valueAt.employer_city), 'permute: some biographies leave the fixed order');
  const full = makeBiographies(people, parseAugment('fullname'), 9);
  for (const bio of full) {
    const name = fullName(people[bio.person]).join(' ');
    assert.equal(bio.words.join(' ').split(name).length - 1, 6, 'fullname: the name in every sentence');
    assert.ok(!bio.words.includes('He') && !bio.words.includes('She'));
  }
});

test('answers are recoverable from every template of every attribute, in both name styles', () => {
  const people = makePeople(12, 5);
  const vocab = bioVocab();
  for (const a of ATTRIBUTES) {
    for (let t = 0; t < TEMPLATES[a].length; t++) {
      for (const p of people) {
        const templates = Object.fromEntries(ATTRIBUTES.map((x) => [x, x === a ? t : 0])) as Record<Attribute, number>;
        for (const fullnameEverywhere of [false, true]) {
          const bio = writeBiography(p, 0, [...ATTRIBUTES].reverse(), templates, fullnameEverywhere);
          const value = attributeValue(p, a);
          assert.deepEqual(bio.words.slice(bio.valueAt[a], bio.valueAt[a] + value.length), value, `${a} template ${t}`);
          assert.doesNotThrow(() => vocab.encode(bio.words), 'every word is in the vocabulary');
        }
      }
    }
  }
});

test('QA: one question per attribute, the answer after "Answer :"; the loss only on the answer', () => {
  const people = makePeople(10, 2);
  const split = splitPeople(10, 0.5, 4);
  assert.deepEqual(split, splitPeople(10, 0.5, 4));
  assert.deepEqual([...split.train, ...split.test].sort((x, y) => x - y), Array.from({ length: 10 }, (_, i) => i));
  assert.equal(split.train.length, 5);
  const qa = makeQA(people, split.train);
  assert.equal(qa.length, 5 * ATTRIBUTES.length);
  const q = qa.find((x) => x.attribute === 'birth_city')!;
  assert.equal(q.prompt.join(' '), `What is the birth city of ${fullName(people[q.person]).join(' ')} ? Answer :`);
  const vocab = bioVocab();
  const row = qaRow(vocab, q);
  assert.deepEqual(vocab.decode(row.targets.filter((t) => t >= 0)), [...q.answer, '<eos>']);
  const bio = biographyRow(vocab, makeBiographies(people, parseAugment('single'), 1)[0]);
  assert.ok(bio.targets.every((t) => t >= 0), 'a biography is trained on every word');
  assert.throws(() => splitPeople(10, 1, 1), /qa-fraction/);
});
