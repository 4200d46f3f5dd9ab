/**
 * The subset of Markdown the chapters' docs use (headings, paragraphs, lists, tables, fenced code,
 * images, inline code, bold and links), turned into DOM nodes, so a chapter page shows the doc's own
 * results and commands instead of a copy that could drift from them. Text goes in as text, never as HTML.
 */
import { h } from './dom.js';

/** The sections of `markdown` whose `##` headings match `wanted`, each up to the next `##` heading (intro: before the first). */
export function sections(markdown: string, wanted: (RegExp | 'intro')[]): string {
  const parts = markdown.split(/\n(?=## )/);
  return parts.filter((p, i) => wanted.some((w) => (w === 'intro' ? i === 0 : !p.startsWith('# ') && w.test(p.split('\n')[0])))).map((p) => (p.startsWith('# ') ? p.split('\n').slice(1).join('\n') : p)).join('\n\n');
}

/** Inline Markdown: `code`, **bold**, *emphasis*, [text](href), ![alt](src); other text as it is. */
export function inline(text: string, image: (src: string) => string | null = () => null): Node[] {
  const out: Node[] = [];
  // emphasis only between non-word characters, so 2*4*8 stays arithmetic
  const re = /`([^`]+)`|\*\*(.+?)\*\*|!\[([^\]]*)\]\(([^)\s]+)\)|\[([^\]]+)\]\(([^)\s]+)\)|(?<![\w*])\*(?=\S)([^*]+?)(?<=\S)\*(?![\w*])/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) out.push(document.createTextNode(text.slice(last, m.index)));
    if (m[1] !== undefined) out.push(h('code', { text: m[1] }));
    else if (m[2] !== undefined) out.push(h('strong', {}, ...inline(m[2], image)));
    else if (m[7] !== undefined) out.push(h('em', {}, ...inline(m[7], image)));
    else if (m[4] !== undefined) {
      const src = image(m[4]);
      out.push(src ? h('img', { src, alt: m[3], class: 'docimg' }) : document.createTextNode(m[3]));
    } else {
      const href = m[6];
      // links inside the repository point at the doc on GitHub-like hosts only as text: the lab has no docs folder
      out.push(/^https?:/.test(href) ? h('a', { href, rel: 'noopener' }, ...inline(m[5], image)) : h('span', {}, ...inline(m[5], image)));
    }
    last = re.lastIndex;
  }
  if (last < text.length) out.push(document.createTextNode(text.slice(last)));
  return out;
}

const cells = (row: string) => row.trim().replace(/^\||\|$/g, '').split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));

/** Block Markdown to nodes; `image` maps a doc's image path to a URL the page can load (null: not shown). */
export function markdown(text: string, image: (src: string) => string | null = () => null): Node[] {
  const lines = text.split('\n');
  const out: Node[] = [];
  for (let i = 0; i < lines.length;) {
    const line = lines[i];
    if (line.startsWith('```')) {
      const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
      const stop = end < 0 ? lines.length : end;
      out.push(h('pre', { class: 'samples' }, h('code', { text: lines.slice(i + 1, stop).join('\n') })));
      i = stop + 1;
    } else if (/^#{2,4} /.test(line)) {
      const level = line.indexOf(' ') as 2 | 3 | 4;
      out.push(h(`h${level}`, {}, ...inline(line.slice(level + 1), image)));
      i++;
    } else if (line.startsWith('|')) {
      const rows: string[] = [];
      while (i < lines.length && lines[i].startsWith('|')) rows.push(lines[i++]);
      const body = rows.slice(2).map(cells);
      out.push(h('div', { class: 'tablebox' }, h('table', { class: 'doctable' },
        h('thead', {}, h('tr', {}, ...cells(rows[0]).map((c) => h('th', {}, ...inline(c, image))))),
        h('tbody', {}, ...body.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, ...inline(c, image)))))))));
    } else if (/^(- |\d+\. )/.test(line)) {
      const ordered = /^\d/.test(line), items: string[] = [];
      while (i < lines.length && lines[i].trim() !== '' && !lines[i].startsWith('|') && !lines[i].startsWith('```')) {
        if (/^(- |\d+\. )/.test(lines[i])) items.push(lines[i].replace(/^(- |\d+\. )/, ''));
        else items[items.length - 1] += ' ' + lines[i].trim();
        i++;
      }
      out.push(h(ordered ? 'ol' : 'ul', {}, ...items.map((t) => h('li', {}, ...inline(t, image)))));
    } else if (line.trim() === '') i++;
    else {
      const para: string[] = [];
      while (i < lines.length && lines[i].trim() !== '' && !/^(```|#|\||- |\d+\. )/.test(lines[i])) para.push(lines[i++]);
      if (para.length === 0) para.push(lines[i++]); // a line no rule above takes (e.g. a lone '#')
      out.push(h('p', {}, ...inline(para.join(' '), image)));
    }
  }
  return out;
}
