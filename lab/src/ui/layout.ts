import { h } from './dom.js';
import { CHAPTERS } from '../path.js';
import './style.css';

/** The frame of every page: the path as a nav bar, the title, and a main element for the page. */
export function layout(current: string, title: string, intro: string): HTMLElement {
  const nav = h('nav', { 'aria-label': 'chapters' }, h('a', { href: './index.html', class: current === 'index' ? 'current' : '' }, 'gradpath lab'),
    ...CHAPTERS.filter((c) => c.page).map((c) => h('a', { href: `./${c.page}.html`, class: c.page === current ? 'current' : '' }, c.short)));
  const main = h('main', {}, h('h1', { text: title }), h('p', { class: 'intro' }, intro));
  document.body.replaceChildren(h('header', {}, nav), main);
  return main;
}
