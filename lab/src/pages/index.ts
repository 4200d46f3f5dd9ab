import '../shims/process.js';
import { h } from '../ui/dom.js';
import { layout } from '../ui/layout.js';
import { CHAPTERS } from '../path.js';
import { isolationNote } from '../ui/trainer.js';

const main = layout('index', 'gradpath lab: the learning path, live',
  'Every chapter of gradpath running in this tab, on the same TypeScript engine and WebAssembly kernels as the command line. Nothing to install; training runs in Web Workers, so the page stays responsive.');
main.append(
  isolationNote(),
  h('table', { class: 'path' },
    h('thead', {}, h('tr', {}, h('th', { text: '#' }), h('th', { text: 'chapter' }), h('th', { text: 'in the browser' }), h('th', { text: 'builds on' }))),
    h('tbody', {}, ...CHAPTERS.map((c, i) => h('tr', { 'data-chapter': c.short },
      h('td', { text: String(i + 1) }),
      h('td', {}, c.page ? h('a', { href: `./${c.page}.html` }, h('strong', { text: c.title })) : h('strong', { text: c.title }), h('br'), h('span', { class: 'note', text: c.what })),
      h('td', {}, h('span', { class: c.live ? 'badge' : 'badge no', text: c.live ? 'runs here' : 'not here yet' }), h('br'), h('span', { class: 'note', text: c.browser })),
      h('td', {}, ...c.sources.flatMap((s) => [h('a', { href: s.href, rel: 'noopener' }, s.label), h('br')])),
    )))),
  h('p', { class: 'note' }, 'The same chapters run from the command line: `npx gradpath` lists them. `gradpath lab runs/` serves this lab with your run directories in the runs viewer.'),
);
