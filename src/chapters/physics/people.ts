import { GradpathError } from '../../util/errors.js';
import { Generator } from '../../util/random.js';
import { CITIES, DAYS, EMPLOYERS, FIRST_NAMES, FIRST_YEAR, headquarters, LAST_NAMES, MAJORS, MAX_VALUES, MIDDLE_NAMES, MONTHS, UNIVERSITIES, YEARS } from './lists.js';

/** One individual of the bioS world: a unique full name and six attributes, drawn independently (but the employer's city). */
export interface Person {
  first: string;
  middle: string;
  last: string;
  pronoun: 'he' | 'she';
  birthMonth: number; // 0..11
  birthDay: number; // 1..28
  birthYear: number; // FIRST_YEAR .. FIRST_YEAR + YEARS - 1
  birthCity: number; // index into CITIES
  university: number;
  major: number;
  employer: number;
  employerCity: number; // the employer's headquarters: it follows the employer
}

/** The six attributes, in the fixed order of a `single` biography. */
export const ATTRIBUTES = ['birth_date', 'birth_city', 'university', 'major', 'employer', 'employer_city'] as const;
export type Attribute = (typeof ATTRIBUTES)[number];

/** The words of the answer about one attribute. */
export function attributeValue(p: Person, a: Attribute): string[] {
  switch (a) {
    case 'birth_date': return [MONTHS[p.birthMonth], String(p.birthDay), ',', String(p.birthYear)];
    case 'birth_city': return [CITIES[p.birthCity]];
    case 'university': return [UNIVERSITIES[p.university]];
    case 'major': return [MAJORS[p.major]];
    case 'employer': return [EMPLOYERS[p.employer]];
    case 'employer_city': return [CITIES[p.employerCity]];
  }
}

export function fullName(p: Person): string[] {
  return [p.first, p.middle, p.last];
}

/**
 * What a linear probe predicts: one class label per field. The birth date is three fields (month,
 * day, year) since a probe over 10,080 dates would need far more people than the world has.
 */
export const PROBE_FIELDS = ['birth_month', 'birth_day', 'birth_year', 'birth_city', 'university', 'major', 'employer', 'employer_city'] as const;
export type ProbeField = (typeof PROBE_FIELDS)[number];

/** Classes of a field in a world of `values` answer values per attribute (each list cut to its first `values`). */
export function fieldClasses(f: ProbeField, values: number = MAX_VALUES): number {
  const all = (() => {
    switch (f) {
      case 'birth_month': return MONTHS.length;
      case 'birth_day': return DAYS;
      case 'birth_year': return YEARS;
      case 'birth_city': case 'employer_city': return CITIES.length;
      case 'university': return UNIVERSITIES.length;
      case 'major': return MAJORS.length;
      case 'employer': return EMPLOYERS.length;
    }
  })();
  return Math.min(all, values);
}

export function fieldLabel(p: Person, f: ProbeField): number {
  switch (f) {
    case 'birth_month': return p.birthMonth;
    case 'birth_day': return p.birthDay - 1;
    case 'birth_year': return p.birthYear - FIRST_YEAR;
    case 'birth_city': return p.birthCity;
    case 'university': return p.university;
    case 'major': return p.major;
    case 'employer': return p.employer;
    case 'employer_city': return p.employerCity;
  }
}

export const MAX_PEOPLE = FIRST_NAMES.length * MIDDLE_NAMES.length * LAST_NAMES.length;

/**
 * n individuals with distinct full names, deterministic per seed. Each attribute is drawn from the
 * first `values` entries of its list (fewer values: more people share each answer, as the paper's
 * 50+ people per value; the world at 30 is the full lists).
 */
export function makePeople(n: number, seed: number, values: number = MAX_VALUES): Person[] {
  if (!Number.isInteger(n) || n < 2) throw new GradpathError(`physics: --people must be a whole number >= 2; got ${n}`);
  if (!Number.isInteger(values) || values < 2 || values > MAX_VALUES) throw new GradpathError(`physics: --values must be a whole number from 2 to ${MAX_VALUES}; got ${values}`);
  if (n > MAX_PEOPLE / 2) throw new GradpathError(`physics: --people ${n} is too many for the name lists (at most ${MAX_PEOPLE / 2}); use fewer people`);
  const gen = new Generator(seed);
  const taken = new Set<string>();
  const people: Person[] = [];
  while (people.length < n) {
    const first = gen.choice(FIRST_NAMES), middle = gen.choice(MIDDLE_NAMES), last = gen.choice(LAST_NAMES);
    const key = `${first} ${middle} ${last}`;
    if (taken.has(key)) continue; // redraw: names are the keys of the world, so they must be unique
    taken.add(key);
    // drawn in a fixed order (the same stream as before the values cap: a world at 30 values is unchanged)
    const pronoun: Person['pronoun'] = gen.bernoulli(0.5) ? 'he' : 'she';
    const birthMonth = gen.randint(0, fieldClasses('birth_month', values));
    const birthDay = gen.randint(1, fieldClasses('birth_day', values) + 1);
    const birthYear = gen.randint(FIRST_YEAR, FIRST_YEAR + fieldClasses('birth_year', values));
    const birthCity = gen.randint(0, fieldClasses('birth_city', values));
    const university = gen.randint(0, fieldClasses('university', values));
    const major = gen.randint(0, fieldClasses('major', values));
    const employer = gen.randint(0, fieldClasses('employer', values));
    people.push({ first, middle, last, pronoun, birthMonth, birthDay, birthYear, birthCity, university, major, employer, employerCity: headquarters(employer, values) });
  }
  return people;
}
