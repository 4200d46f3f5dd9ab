/**
 * A page for a chapter that does not run in the browser yet: what it teaches, its results (tables
 * and pictures) and commands, taken from the chapter's own doc at build time, so the page and the
 * doc cannot disagree; and a plain statement of where it runs.
 */
import { h } from './dom.js';
import { layout } from './layout.js';
import { inline, markdown, sections } from './markdown.js';

/** The pictures of the chapters with such a page, bundled as assets (a page loads those its sections name). */
const IMAGES = import.meta.glob(['../../../docs/images/vision-*.svg', '../../../docs/images/physics-*.svg', '../../../docs/images/distributed-*.svg'],
  { query: '?url', import: 'default', eager: true }) as Record<string, string>;

function imageUrl(src: string): string | null {
  const name = src.split('/').pop()!;
  return IMAGES[`../../../docs/images/${name}`] ?? null;
}

export interface DocPage {
  page: string;
  title: string;
  intro: string;
  /** Why it does not run in this tab (inline Markdown). */
  notHere: string;
  /** The command that runs it. */
  command: string;
  doc: string;
  /** The doc's file name, for the reader who wants all of it. */
  docName: string;
  sections: (RegExp | 'intro')[];
}

export function docPage(p: DocPage): HTMLElement {
  const main = layout(p.page, p.title, p.intro);
  main.append(
    h('p', { class: 'status warn', id: 'not-here' }, h('strong', { text: 'Runs in the command line, not in the browser yet. ' }), ...inline(p.notHere)),
    h('h2', { text: 'Run it' }), h('pre', { class: 'samples', id: 'command' }, h('code', { text: p.command })),
    h('div', { class: 'doc', id: 'doc' }, ...markdown(sections(p.doc, p.sections), imageUrl)),
    h('p', { class: 'note' }, `From docs/${p.docName} in the repository, where the rest of the chapter is.`),
  );
  return main;
}
