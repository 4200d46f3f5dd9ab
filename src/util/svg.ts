/**
 * The few pieces every hand-written SVG in gradpath needs: escaping text, writing an element
 * from an attribute object, and the document around the elements. Pictures stay plain strings
 * (no DOM), so they can be written from Node, a Web Worker or a test alike.
 */

/** Escapes text for XML content and attribute values (& < > " '). */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export type Attributes = Record<string, string | number | undefined | null | false>;

/**
 * Coordinates with two decimals at most: enough for a screen, and it keeps files small and
 * free of 0.30000000000000004.
 */
export function num(x: number): string {
  return String(Math.round(x * 100) / 100);
}

/** One element: `el('rect', { x: 1, fill: 'red' })`; numbers are rounded, empty attributes left out. */
export function el(tag: string, attrs: Attributes = {}, content?: string): string {
  let out = `<${tag}`;
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false || value === '') continue;
    out += ` ${name}="${typeof value === 'number' ? num(value) : escapeXml(value)}"`;
  }
  return content === undefined ? `${out}/>` : `${out}>${content}</${tag}>`;
}

/** A text element; the text is escaped here. */
export function text(x: number, y: number, content: string, attrs: Attributes = {}): string {
  return el('text', { x, y, ...attrs }, escapeXml(content));
}

/** A polyline through points (non-finite points are the caller's to drop). */
export function polyline(points: readonly (readonly [number, number])[], attrs: Attributes = {}): string {
  return el('polyline', { points: points.map(([x, y]) => `${num(x)},${num(y)}`).join(' '), fill: 'none', ...attrs });
}

/** The whole document: a white background under the body, a sans-serif default font. */
export function svgDocument(width: number, height: number, body: readonly string[], attrs: Attributes = {}): string {
  return [
    el('svg', { xmlns: 'http://www.w3.org/2000/svg', width, height, viewBox: `0 0 ${num(width)} ${num(height)}`, 'font-family': 'sans-serif', 'font-size': 12, ...attrs }, '')
      .replace(/<\/svg>$/, ''),
    el('rect', { width: '100%', height: '100%', fill: 'white' }),
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
