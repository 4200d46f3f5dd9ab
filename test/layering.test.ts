import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * The layering of docs/ARCHITECTURE: a file may import its own layer and the layers below it,
 * never one above; a chapter never imports another chapter. Reads the TypeScript sources, so
 * a type-only import counts too (it couples the files just the same).
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SRC = join(ROOT, 'src');

/** Top to bottom; folders on one rank may import each other. */
const RANKS: string[][] = [
  ['cli'],
  ['chapters'],
  ['models', 'train'],
  ['dist'], // the parallel wrappers: below the training loop, above the modules they wrap
  ['nn', 'optim'],
  ['data', 'io'],
  ['engine'],
  ['backends'],
  ['util'],
];
const rankOf = new Map(RANKS.flatMap((folders, i) => folders.map((f) => [f, RANKS.length - i] as const)));

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : []);
}

/** Relative module specifiers of every import, export-from and dynamic import with a literal path. */
export function importsOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specs: string[] = [];
  for (const re of [/\b(?:import|export)\s[^'"`;]*?\sfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\(\s*['"`]([^'"`$]+)['"`]/g]) {
    for (const m of code.matchAll(re)) specs.push(m[1]);
  }
  return specs.filter((s) => s.startsWith('.'));
}

/** 'cli', 'chapters/gpt2', 'index' (src/index.ts) ...: the layer of a path inside src/. */
function placeOf(path: string): { layer: string; chapter?: string } {
  const parts = relative(SRC, path).split(sep);
  if (parts.length === 1) return { layer: parts[0].replace(/\.[jt]s$/, '') };
  return { layer: parts[0], chapter: parts[0] === 'chapters' ? parts[1] : undefined };
}

/** Every upward import and every chapter-to-chapter import in `files`, one line each. */
function violations(files: string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    const from = placeOf(file);
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), spec);
      const where = `${relative(ROOT, file)} imports ${spec}`;
      if (!target.startsWith(SRC + sep)) {
        found.push(`${where}: outside src/`);
        continue;
      }
      const to = placeOf(target);
      if (from.layer === 'index') {
        if (to.layer === 'cli') found.push(`${where}: src/index.ts may import anything below cli`);
        continue;
      }
      const a = rankOf.get(from.layer), b = rankOf.get(to.layer);
      if (a === undefined || b === undefined) {
        found.push(`${where}: '${a === undefined ? from.layer : to.layer}' is not a known layer (add it to RANKS in test/layering.test.ts)`);
      } else if (b > a) {
        found.push(`${where}: ${from.layer} may not import ${to.layer}, a higher layer`);
      } else if (from.chapter && to.chapter && from.chapter !== to.chapter) {
        found.push(`${where}: chapters never import each other`);
      }
    }
  }
  return found;
}

test('every import in src/ points to its own layer or a lower one, and no chapter imports another', () => {
  const files = tsFiles(SRC);
  assert.ok(files.length > 50, `found only ${files.length} source files under ${SRC}`);
  assert.deepEqual(violations(files), []);
});

test('the import reader finds static, re-exported, type-only and dynamic imports', () => {
  const src = `import { a } from './a.js';\nimport type { B } from "../b.js";\nexport { c } from './c.js';\nexport * from './d.js';\n` +
    `import './e.js';\nconst m = await import('./f.js');\nimport {\n  g,\n  h,\n} from './g.js';\n// import { x } from './comment.js';\nimport { readFileSync } from 'node:fs';\n`;
  assert.deepEqual(importsOf(src).sort(), ['../b.js', './a.js', './c.js', './d.js', './e.js', './f.js', './g.js']);
});
