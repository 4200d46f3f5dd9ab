import { readFileSync } from 'node:fs';
import { GradpathError } from '../util/errors.js';
import { checkPath } from './paths.js';
import { kebab } from './names.js';
import type { OptionSpecs } from './args.js';

/** `--config FILE.json`: flag values from a file, so a run is repeated with one flag. */

/** nanoGPT's configs are Python files: said in one line, with what to do instead. */
export const pyConfigError = (cmdPath: string, file: string) =>
  new GradpathError(`${cmdPath}: ${file} looks like a nanoGPT .py config, which gradpath does not read; put its settings in a JSON file (keys: flag names, e.g. {"n_layer": 6}) and pass --config FILE.json`);

/**
 * A JSON object of flag values. Keys may be kebab-case, camelCase or snake_case; keys that are no
 * flag of this command (a run's config.json holds derived values too) are listed in one note.
 */
export function readConfigFile(cmdPath: string, file: string, specs: OptionSpecs, names: Map<string, string>, configFlag: string, notes: string[]): Record<string, string | boolean> {
  if (/\.py$/i.test(file)) throw pyConfigError(cmdPath, file);
  checkPath(cmdPath, '--config', 'file', file);
  let body: unknown;
  try {
    body = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code) throw new GradpathError(`${cmdPath}: cannot read --config ${file} (${e.code})`);
    throw new GradpathError(`${cmdPath}: --config ${file} is not valid JSON (${e.message.replace(/\s+/g, ' ')}); it should be one object like {"max_steps": 100}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new GradpathError(`${cmdPath}: --config ${file} must hold one JSON object of flag values, like {"max_steps": 100}`);
  }
  const values: Record<string, string | boolean> = {};
  const ignored: string[] = [];
  // a run's config may group settings ({"model": {"nLayer": 2}}): their keys count as flags too, after the top level's
  const top = Object.entries(body as Record<string, unknown>);
  const nested = top.flatMap(([group, v]) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.entries(v).map(([k, x]) => [`${group}.${k}`, x] as const) : []));
  for (const [path, value] of [...top, ...nested]) {
    const key = path.slice(path.indexOf('.') + 1);
    const name = names.get(kebab(key)) ?? names.get(key);
    if (value !== null && typeof value === 'object') {
      if (Array.isArray(value) || path.includes('.')) ignored.push(path); // a group's own keys are read above
      continue;
    }
    if (!name || name === configFlag || value === null) {
      if (value !== null) ignored.push(path);
      continue;
    }
    if (name in values && (path.includes('.') || kebab(key) !== name)) continue; // the top level, and the flag's own name, win
    const spec = specs[name];
    if (spec.type === 'boolean' ? typeof value !== 'boolean' : typeof value !== 'string' && typeof value !== 'number') {
      throw new GradpathError(`${cmdPath}: --config ${file}: "${key}" should be ${spec.type === 'boolean' ? 'true or false' : spec.type === 'int' || spec.type === 'float' ? 'a number' : 'a string'}; got ${JSON.stringify(value)}`);
    }
    values[name] = typeof value === 'boolean' ? value : String(value);
  }
  if (ignored.length) notes.push(`${cmdPath}: --config ${file}: ignored ${ignored.length} key(s) that are not flags of this command: ${ignored.join(', ')}`);
  return values;
}
