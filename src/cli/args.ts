import { parseArgs } from 'node:util';
import { GradpathError } from '../util/errors.js';
import { pyConfigError, readConfigFile } from './config-file.js';
import { camel } from './names.js';
import { checkPaths } from './paths.js';
import { useBackend } from '../engine/device.js';

export { kebab } from './names.js';
export { checkPath, checkPaths } from './paths.js';

/**
 * A tiny declarative layer over node:util parseArgs: each command declares its flags once,
 * and gets parsing, validation (integers, numbers, choices) and its --help text from that.
 */
/**
 * `aliases`: other spellings of the same flag (nanoGPT's, makemore's), parsed into the same key.
 * `path`: what a string flag names, checked before the command runs: 'file' must exist and be a
 * file; 'out-dir' and 'out-file' must be creatable and writable (and not the other kind).
 */
interface Common { help: string; short?: string; aliases?: readonly string[] }
export type OptionSpec =
  | (Common & { type: 'boolean'; default?: boolean })
  | (Common & { type: 'string'; default?: string; placeholder?: string; path?: PathKind })
  | (Common & { type: 'int'; default?: number; min?: number; placeholder?: string })
  | (Common & { type: 'float'; default?: number; min?: number; placeholder?: string })
  | (Common & { type: 'choice'; choices: readonly string[]; default?: string });

export type PathKind = 'file' | 'out-dir' | 'out-file';

export type OptionSpecs = Record<string, OptionSpec>;

type CamelCase<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;
type ValueOf<O extends OptionSpec> = O extends { type: 'boolean' }
  ? boolean
  : O extends { type: 'int' | 'float' }
    ? number
    : string;
type HasDefault<O> = O extends { default: unknown } ? true : O extends { type: 'boolean' } ? true : false;

/** Parsed options, keyed by camelCase flag name; flags without a default may be undefined. */
export type ParsedOptions<S extends OptionSpecs> = {
  [K in keyof S & string as CamelCase<K>]: HasDefault<S[K]> extends true ? ValueOf<S[K]> : ValueOf<S[K]> | undefined;
};

export interface Command<S extends OptionSpecs = OptionSpecs> {
  name: string;
  summary: string;
  /** Extra text for --help: what it does, examples. */
  description?: string;
  usage?: string;
  options: S;
  /** Takes any number of file arguments after the flags (e.g. `gpt2 prepare a.txt b.txt`); else at most one, as --input. */
  variadic?: boolean;
  /** Subcommands (e.g. `bench matmul`); when present, the first positional picks one. */
  subcommands?: Command<any>[];
  run?: (opts: ParsedOptions<S>, positionals: string[]) => Promise<number | void> | number | void;
}

export function defineCommand<S extends OptionSpecs>(cmd: Command<S>): Command<S> {
  return cmd;
}



/** The flag every command has: settings from a JSON file, overridden by the command line. */
const CONFIG_FLAG = 'config';
const CONFIG_SPEC: OptionSpec = {
  type: 'string', placeholder: 'FILE.json', path: 'file',
  help: "Read flags from a JSON object (keys: flag names; a run directory's config.json works); flags given here override it",
};

function withConfig(specs: OptionSpecs): OptionSpecs {
  return CONFIG_FLAG in specs ? specs : { ...specs, [CONFIG_FLAG]: CONFIG_SPEC };
}

/** Every spelling of every flag -> its canonical name. */
function spellings(specs: OptionSpecs): Map<string, string> {
  const m = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) {
    m.set(name, name);
    for (const a of spec.aliases ?? []) m.set(a, name);
  }
  return m;
}

const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/**
 * Two spellings parseArgs cannot read: nanoGPT's `--max_iters=100` becomes `--max-iters=100`, and
 * `--max-steps -5` (a flag with no value, to parseArgs) becomes `--max-steps=-5`, so the value
 * reaches the range check, which says what is allowed in one line.
 */
function normaliseArgv(argv: string[], specs: OptionSpecs, names: Map<string, string>): string[] {
  const shorts = new Map(Object.entries(specs).filter(([, s]) => s.short).map(([n, s]) => [s.short!, n]));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i].startsWith('--') ? argv[i].replace(/^--([^=]*)/, (_, flag: string) => `--${flag.replace(/_/g, '-')}`) : argv[i];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const name = a.startsWith('--') ? names.get(a.slice(2)) : /^-[a-zA-Z]$/.test(a) ? shorts.get(a[1]) : undefined;
    if (name && specs[name].type !== 'boolean' && i + 1 < argv.length && NEGATIVE_NUMBER.test(argv[i + 1])) {
      out.push(`${a.startsWith('--') ? a : `--${name}`}=${argv[++i]}`);
    } else out.push(a);
  }
  return out;
}

/** parseArgs' messages, cut to their first sentence (the rest explains `--` escapes); a near miss gets a suggestion. */
function parseError(cmdPath: string, err: Error, names: Iterable<string>): GradpathError {
  const first = err.message.split('\n')[0].replace(/\. To specify .*$/, '').replace(/\.$/, '');
  const unknown = /^Unknown option '--([^'=]+)'/.exec(first)?.[1];
  const near = unknown ? closest(unknown, names) : undefined;
  return new GradpathError(`${cmdPath}: ${first}${near ? `; did you mean --${near}?` : ''} (see \`${cmdPath} --help\`)`);
}

/** The spelling within two edits of `word` (a typo, a missing plural s), if there is one. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined, bestDistance = 3;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}


/** A stray argument: the input file where the command reads one, else an error naming the argument. */
function placePositionals(cmdPath: string, specs: OptionSpecs, values: Record<string, unknown>, positionals: string[], variadic: boolean): string[] {
  const py = positionals.find((p) => /\.py$/i.test(p));
  if (py) throw pyConfigError(cmdPath, py);
  if (variadic || positionals.length === 0) return positionals;
  if (!('input' in specs)) {
    throw new GradpathError(`${cmdPath}: unexpected argument '${positionals[0]}': this command reads no file argument; flags start with -- (see \`${cmdPath} --help\`)`);
  }
  if (positionals.length > 1) throw new GradpathError(`${cmdPath}: one input file, please; got ${positionals.map((p) => `'${p}'`).join(', ')}`);
  if (values.input !== undefined) throw new GradpathError(`${cmdPath}: the input file is given twice ('${values.input}' with -i and '${positionals[0]}'); give it once`);
  values.input = positionals[0];
  return [];
}

export interface ParseResult<S extends OptionSpecs> {
  opts: ParsedOptions<S>;
  positionals: string[];
  /** Things worth one line on stderr (ignored --config keys). */
  notes: string[];
}

export function parseOptions<S extends OptionSpecs>(cmdPath: string, commandSpecs: S, argv: string[], variadic = false): ParseResult<S> {
  const specs = withConfig(commandSpecs);
  const names = spellings(specs);
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [spelling, name] of names) {
    const spec = specs[name];
    config[spelling] = { type: spec.type === 'boolean' ? 'boolean' : 'string', ...(spec.short && spelling === name ? { short: spec.short } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: normaliseArgv(argv, specs, names), options: config, allowPositionals: true, strict: true });
  } catch (err) {
    throw parseError(cmdPath, err as Error, names.keys());
  }
  // one value per flag, whichever spelling gave it
  const given: Record<string, string | boolean> = {};
  const spelledAs: Record<string, string> = {};
  for (const [spelling, raw] of Object.entries(parsed.values as Record<string, string | boolean | undefined>)) {
    if (raw === undefined) continue;
    const name = names.get(spelling)!;
    if (name in given && spelledAs[name] !== spelling) {
      throw new GradpathError(`${cmdPath}: --${spelledAs[name]} and --${spelling} are the same flag; give it once`);
    }
    given[name] = raw;
    spelledAs[name] = spelling;
  }
  const positionals = placePositionals(cmdPath, specs, given, parsed.positionals, variadic);
  const notes: string[] = [];
  const fromFile = given[CONFIG_FLAG] !== undefined ? readConfigFile(cmdPath, String(given[CONFIG_FLAG]), specs, names, CONFIG_FLAG, notes) : {};
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    if (name === CONFIG_FLAG && !(CONFIG_FLAG in commandSpecs)) continue;
    const key = camel(name);
    if (given[name] !== undefined) out[key] = convert(cmdPath, `--${spelledAs[name] ?? name}`, spec, given[name]);
    else if (name in fromFile) out[key] = convert(cmdPath, `--${name} (from --config)`, spec, fromFile[name]);
    else out[key] = spec.type === 'boolean' ? (spec.default ?? false) : spec.default;
  }
  return { opts: out as ParsedOptions<S>, positionals, notes };
}


/** One line naming the flag, the value and what would be right. */
function convert(cmdPath: string, flag: string, spec: OptionSpec, raw: string | boolean): unknown {
  switch (spec.type) {
    case 'boolean':
      return raw;
    case 'string':
      if (raw === '' && spec.path) throw new GradpathError(`${cmdPath}: ${flag} is empty; give a path`);
      return raw;
    case 'choice':
      if (!spec.choices.includes(raw as string)) {
        throw new GradpathError(`${cmdPath}: ${flag} must be one of ${spec.choices.join(', ')}; got '${raw}'`);
      }
      return raw;
    case 'int':
    case 'float': {
      const s = String(raw).trim();
      const v = Number(s);
      if (spec.type === 'int' && (s === '' || !Number.isInteger(v))) throw new GradpathError(`${cmdPath}: ${flag} expects an integer; got '${raw}'`);
      if (s === '' || !Number.isFinite(v)) throw new GradpathError(`${cmdPath}: ${flag} expects a number; got '${raw}'`);
      if (spec.min !== undefined && v < spec.min) throw new GradpathError(`${cmdPath}: ${flag} ${rangeWords(spec.type, spec.min)}; got ${v}`);
      return v;
    }
  }
}

function rangeWords(type: 'int' | 'float', min: number): string {
  if (min === 0) return 'must be at least 0 (not negative)';
  if (min === 1 && type === 'int') return 'must be at least 1 (a positive integer)';
  return `must be at least ${min}`;
}

export function helpText(cmdPath: string, cmd: Command<any>): string {
  const lines: string[] = [];
  lines.push(`${cmd.usage ?? `${cmdPath}${cmd.subcommands ? ' <subcommand>' : ''} [options]${'input' in cmd.options ? ' [FILE]' : ''}`}`);
  lines.push('');
  lines.push(cmd.summary);
  if (cmd.description) lines.push('', cmd.description.trim());
  if (cmd.subcommands?.length) {
    lines.push('', 'Subcommands:');
    const w = Math.max(...cmd.subcommands.map((s) => s.name.length));
    for (const s of cmd.subcommands) lines.push(`  ${s.name.padEnd(w)}  ${s.summary}`);
    lines.push('', `Run \`${cmdPath} <subcommand> --help\` for its options.`);
  }
  const runnable = Boolean(cmd.run);
  const entries = Object.entries(runnable ? withConfig(cmd.options as OptionSpecs) : (cmd.options as OptionSpecs));
  if (entries.length) {
    lines.push('', 'Options:');
    const left = entries.map(([name, spec]) => {
      const short = spec.short ? `-${spec.short}, ` : '    ';
      let arg = '';
      if (spec.type === 'choice') arg = ` ${spec.choices.join('|')}`;
      else if (spec.type !== 'boolean') arg = ` ${'placeholder' in spec && spec.placeholder ? spec.placeholder : spec.type === 'string' ? 'VALUE' : 'N'}`;
      return `  ${short}--${name}${arg}`;
    });
    const w = Math.min(40, Math.max(...left.map((l) => l.length)));
    entries.forEach(([, spec], i) => {
      const def = spec.default !== undefined && spec.type !== 'boolean' ? ` (default: ${spec.default})` : '';
      const aka = spec.aliases?.length ? ` [also ${spec.aliases.map((a) => `--${a}`).join(', ')}]` : '';
      const l = left[i];
      if (l.length > w) lines.push(l, ' '.repeat(w + 2) + spec.help + def + aka);
      else lines.push(`${l.padEnd(w)}  ${spec.help}${def}${aka}`);
    });
    lines.push(`${'  -h, --help'.padEnd(w)}  Show this help`);
  }
  return lines.join('\n');
}

/** Runs a command (or one of its subcommands) with argv; handles --help. */
export async function runCommand(cmdPath: string, cmd: Command<any>, argv: string[]): Promise<number> {
  if (cmd.subcommands?.length) {
    const first = argv[0];
    if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
      if (first === undefined && cmd.run) return (await cmd.run(parseOptions(cmdPath, cmd.options, []).opts, [])) ?? 0;
      console.log(helpText(cmdPath, cmd));
      return 0;
    }
    const sub = cmd.subcommands.find((s) => s.name === first);
    if (sub) return runCommand(`${cmdPath} ${sub.name}`, sub, argv.slice(1));
    // a command that also runs by itself (chargpt, with its `export`) takes the word as its input file
    if (!first.startsWith('-') && !cmd.run) {
      throw new GradpathError(`${cmdPath}: unknown subcommand '${first}'; choose one of ${cmd.subcommands.map((s) => s.name).join(', ')}`);
    }
  }
  const own = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv; // after --: another command's flags
  if (own.includes('--help') || own.includes('-h')) {
    console.log(helpText(cmdPath, cmd));
    return 0;
  }
  if (!cmd.run) throw new GradpathError(`${cmdPath}: needs a subcommand (see \`${cmdPath} --help\`)`);
  const { opts, positionals, notes } = parseOptions(cmdPath, cmd.options, argv, cmd.variadic);
  checkPaths(cmdPath, cmd.options, opts);
  for (const n of notes) console.error(n);
  // every command with a --backend flag applies it the same way, before it starts working
  if ('backend' in cmd.options) useBackend((opts as { backend?: string }).backend);
  return (await cmd.run(opts, positionals)) ?? 0;
}
