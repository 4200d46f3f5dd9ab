/**
 * The closed world of the biographies: every name part and attribute value, one word each, so a
 * word-level tokenizer gives every value a single token (the birth date is month, day, comma, year).
 * Lists are fixed (not seeded): the seed only decides who gets what.
 */

export const FIRST_NAMES = [
  'Anya', 'Bruno', 'Celia', 'Dorian', 'Elsa', 'Felix', 'Greta', 'Hugo', 'Ines', 'Jonas', 'Kira', 'Leon', 'Mira', 'Nolan', 'Olga',
  'Pavel', 'Quinn', 'Rosa', 'Silas', 'Tara', 'Ugo', 'Vera', 'Wade', 'Xena', 'Yuri', 'Zora', 'Amos', 'Bella', 'Cyrus', 'Daria',
  'Emil', 'Fiona', 'Gideon', 'Hana', 'Ivo', 'Jada', 'Kai', 'Lena', 'Milo', 'Nina',
] as const;

export const MIDDLE_NAMES = [
  'Briar', 'Cole', 'Dale', 'Ember', 'Frost', 'Glen', 'Hale', 'Ivy', 'Jude', 'Kent', 'Lark', 'Moss', 'Nash', 'Oak', 'Pike',
  'Reed', 'Sage', 'Thorn', 'Vale', 'Wren', 'Ash', 'Blaise', 'Clay', 'Drew', 'Eden', 'Fern', 'Gray', 'Heath', 'Jay', 'Lane',
] as const;

export const LAST_NAMES = [
  'Forger', 'Abbott', 'Barlow', 'Carver', 'Dalton', 'Ellison', 'Fletcher', 'Garrison', 'Hollis', 'Ingram', 'Jarvis', 'Keller',
  'Lambert', 'Mercer', 'Norwood', 'Osborne', 'Prescott', 'Quimby', 'Radcliffe', 'Sawyer', 'Thatcher', 'Underwood', 'Vaughn',
  'Whitlock', 'Yardley', 'Ashford', 'Blackwood', 'Calloway', 'Dunmore', 'Everett', 'Fairbanks', 'Gallagher', 'Hargrove',
  'Kingsley', 'Langford', 'Montague', 'Pemberton', 'Rutherford', 'Stanton', 'Winslow',
] as const;

export const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'] as const;
/**
 * Days 1..28 (as the paper: every month has them) and years 1950..1979: fewer years than the
 * paper's 200, so a probe trained on a few hundred people still sees several of each class.
 */
export const DAYS = 28;
export const FIRST_YEAR = 1950;
export const YEARS = 30;

export const CITIES = [
  'Boston', 'Seattle', 'Denver', 'Austin', 'Chicago', 'Portland', 'Atlanta', 'Phoenix', 'Dallas', 'Houston', 'Miami', 'Detroit',
  'Memphis', 'Nashville', 'Omaha', 'Tucson', 'Fresno', 'Sacramento', 'Pittsburgh', 'Cleveland', 'Baltimore', 'Milwaukee',
  'Albuquerque', 'Tulsa', 'Raleigh', 'Orlando', 'Tampa', 'Honolulu', 'Anchorage', 'Boise',
] as const;

export const UNIVERSITIES = [
  'Stanford', 'Princeton', 'Yale', 'Harvard', 'Cornell', 'Columbia', 'Duke', 'Rice', 'Emory', 'Tufts', 'Vanderbilt', 'Dartmouth',
  'Purdue', 'Baylor', 'Auburn', 'Clemson', 'Villanova', 'Gonzaga', 'Tulane', 'Caltech', 'Oberlin', 'Wellesley', 'Swarthmore',
  'Bowdoin', 'Colgate', 'Bucknell', 'Lehigh', 'Drexel', 'Fordham', 'Brandeis',
] as const;

export const MAJORS = [
  'Physics', 'Chemistry', 'Biology', 'Mathematics', 'Economics', 'History', 'Philosophy', 'Linguistics', 'Astronomy', 'Geology',
  'Psychology', 'Sociology', 'Anthropology', 'Architecture', 'Music', 'Statistics', 'Accounting', 'Finance', 'Marketing',
  'Nursing', 'Journalism', 'Law', 'Medicine', 'Engineering', 'Ecology', 'Genetics', 'Neuroscience', 'Robotics', 'Literature', 'Theology',
] as const;

/** Invented employers; each has one headquarters city (the sixth attribute follows the fifth). */
export const EMPLOYERS = [
  'Orbitex', 'Lumora', 'Quantix', 'Veltra', 'Norvane', 'Solvid', 'Kyntra', 'Zephyra', 'Brightwell', 'Corvana', 'Deltora', 'Fennix',
  'Glacient', 'Helixa', 'Ironvale', 'Jovient', 'Kelvor', 'Lunaris', 'Mystral', 'Nexora', 'Opalis', 'Pyrona', 'Quorix', 'Redline',
  'Sylvant', 'Teraloom', 'Umbrix', 'Vantora', 'Wyvern', 'Xylent',
] as const;

/**
 * The headquarters of EMPLOYERS[i] in a world of `values` cities (the first ones of CITIES): a fixed
 * spread (7 and the number of cities share no factor, as for 30 or 10: every employer its own city).
 */
export function headquarters(employer: number, values: number = CITIES.length): number {
  return (employer * 7 + 3) % Math.min(values, CITIES.length);
}

/** The most answer values an attribute can have (the shortest list: 30 cities, universities, ...; days stop at 28). */
export const MAX_VALUES = CITIES.length;
