import type { Attribute } from './people.js';

/**
 * Sentence templates, several per attribute, as words: `{S}` is the subject (the full name, or a
 * pronoun), `{his}` the possessive pronoun, `{V}` the attribute's value. Every template starts with
 * its subject, so replacing the pronoun by the full name (`fullname`) keeps the sentence intact.
 * The paper has about 50 per attribute; 8 are enough for multi5 to draw mostly different ones.
 */
const T = (s: string): string[] => s.split(' ');

export const TEMPLATES: Record<Attribute, string[][]> = {
  birth_date: [
    '{S} was born on {V} .', '{S} came into this world on {V} .', '{S} first opened {his} eyes on {V} .',
    '{S} celebrates {his} birthday on {V} .', '{S} was welcomed into the family on {V} .', '{S} arrived on {V} .',
    '{S} entered life on {V} .', '{S} has a birth date of {V} .',
  ].map(T),
  birth_city: [
    '{S} was born in {V} .', '{S} spent {his} early years in {V} .', '{S} grew up in {V} .', '{S} is a native of {V} .',
    '{S} hails from {V} .', '{S} took {his} first steps in {V} .', '{S} comes from {V} .', '{S} was raised in {V} .',
  ].map(T),
  university: [
    '{S} studied at {V} .', '{S} received mentorship from the faculty of {V} .', '{S} graduated from {V} .',
    '{S} attended {V} .', '{S} earned {his} degree at {V} .', '{S} is a graduate of {V} .', '{S} went to college at {V} .',
    '{S} completed {his} studies at {V} .',
  ].map(T),
  major: [
    '{S} majored in {V} .', '{S} focused {his} studies on {V} .', '{S} completed a degree in {V} .', '{S} specialized in {V} .',
    '{S} chose to study {V} .', '{S} pursued {V} as {his} field .', '{S} concentrated on {V} .', '{S} holds a degree in {V} .',
  ].map(T),
  employer: [
    '{S} worked for {V} .', '{S} is employed by {V} .', '{S} took a job at {V} .', '{S} built {his} career at {V} .',
    '{S} joined the staff of {V} .', '{S} earns a living at {V} .', '{S} holds a position at {V} .', '{S} works at {V} .',
  ].map(T),
  employer_city: [
    '{S} worked in {V} .', '{S} commutes to an office in {V} .', '{S} has a job based in {V} .', '{S} works in the city of {V} .',
    '{S} is employed in {V} .', '{S} spends {his} working days in {V} .', '{S} practiced {his} profession in {V} .',
    '{S} found work in {V} .',
  ].map(T),
};

/** One question per attribute; the answer follows `Answer :`. */
export const QUESTIONS: Record<Attribute, string[]> = {
  birth_date: T('What is the birth date of {N} ?'),
  birth_city: T('What is the birth city of {N} ?'),
  university: T('Which university did {N} study at ?'),
  major: T('What major did {N} study ?'),
  employer: T('Which company did {N} work for ?'),
  employer_city: T('Where did {N} work ?'),
};

export const ANSWER_PREFIX = ['Answer', ':'];
