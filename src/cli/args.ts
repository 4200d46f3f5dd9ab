import { parseArgs } from 'node:util';
import { GradpathError } from '../util/errors.js';

/**
 * A tiny declarative layer over node:util parseArgs: each command declares its flags once,
 * and gets parsing, validation (integers, numbers, choices) and its --help text from that.
 */
export type OptionSpec =
  | { type: 'boolean'; help: string; short?: string; default?: boolean }
  | { type: 'string'; help: string; short?: string; default?: string; placeholder?: string }
  | { type: 'int'; help: string; short?: string; default?: number; min?: number; placeholder?: string }
  | { type: 'float'; help: string; short?: string; default?: number; min?: number; placeholder?: string }
  | { type: 'choice'; help: string; short?: string; choices: readonly string[]; default?: string };

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
  /** Subcommands (e.g. `bench matmul`); when present, the first positional picks one. */
  subcommands?: Command<any>[];
  run?: (opts: ParsedOptions<S>, positionals: string[]) => Promise<number | void> | number | void;
}

export function defineCommand<S extends OptionSpecs>(cmd: Command<S>): Command<S> {
  return cmd;
}

function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function parseOptions<S extends OptionSpecs>(cmdPath: string, specs: S, argv: string[]): { opts: ParsedOptions<S>; positionals: string[] } {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, spec] of Object.entries(specs)) {
    config[name] = { type: spec.type === 'boolean' ? 'boolean' : 'string', ...(spec.short ? { short: spec.short } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: config, allowPositionals: true, strict: true });
  } catch (err) {
    const msg = (err as Error).message.replace(/\. To specify a positional argument.*$/, '');
    throw new GradpathError(`${cmdPath}: ${msg} (see \`${cmdPath} --help\`)`);
  }
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const raw = (parsed.values as Record<string, string | boolean | undefined>)[name];
    const key = camel(name);
    if (raw === undefined) {
      out[key] = spec.type === 'boolean' ? (spec.default ?? false) : spec.default;
      continue;
    }
    out[key] = convert(cmdPath, name, spec, raw);
  }
  return { opts: out as ParsedOptions<S>, positionals: parsed.positionals };
}

function convert(cmdPath: string, name: string, spec: OptionSpec, raw: string | boolean): unknown {
  const flag = `--${name}`;
  switch (spec.type) {
    case 'boolean':
      return raw;
    case 'string':
      return raw;
    case 'choice':
      if (!spec.choices.includes(raw as string)) {
        throw new GradpathError(`${cmdPath}: ${flag} must be one of ${spec.choices.join(', ')}; got '${raw}'`);
      }
      return raw;
    case 'int': {
      const s = String(raw).trim();
      const v = Number(s);
      if (s === '' || !Number.isInteger(v)) throw new GradpathError(`${cmdPath}: ${flag} expects an integer; got '${raw}'`);
      if (spec.min !== undefined && v < spec.min) throw new GradpathError(`${cmdPath}: ${flag} must be at least ${spec.min}; got ${v}`);
      return v;
    }
    case 'float': {
      const s = String(raw).trim();
      const v = Number(s);
      if (s === '' || !Number.isFinite(v)) throw new GradpathError(`${cmdPath}: ${flag} expects a number; got '${raw}'`);
      if (spec.min !== undefined && v < spec.min) throw new GradpathError(`${cmdPath}: ${flag} must be at least ${spec.min}; got ${v}`);
      return v;
    }
  }
}

export function helpText(cmdPath: string, cmd: Command<any>): string {
  const lines: string[] = [];
  lines.push(`${cmd.usage ?? `${cmdPath}${cmd.subcommands ? ' <subcommand>' : ''} [options]`}`);
  lines.push('');
  lines.push(cmd.summary);
  if (cmd.description) lines.push('', cmd.description.trim());
  if (cmd.subcommands?.length) {
    lines.push('', 'Subcommands:');
    const w = Math.max(...cmd.subcommands.map((s) => s.name.length));
    for (const s of cmd.subcommands) lines.push(`  ${s.name.padEnd(w)}  ${s.summary}`);
    lines.push('', `Run \`${cmdPath} <subcommand> --help\` for its options.`);
  }
  const entries = Object.entries(cmd.options as OptionSpecs);
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
      const l = left[i];
      if (l.length > w) lines.push(l, ' '.repeat(w + 2) + spec.help + def);
      else lines.push(`${l.padEnd(w)}  ${spec.help}${def}`);
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
    if (!first.startsWith('-')) {
      throw new GradpathError(`${cmdPath}: unknown subcommand '${first}'; choose one of ${cmd.subcommands.map((s) => s.name).join(', ')}`);
    }
  }
  const own = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv; // after --: another command's flags
  if (own.includes('--help') || own.includes('-h')) {
    console.log(helpText(cmdPath, cmd));
    return 0;
  }
  if (!cmd.run) throw new GradpathError(`${cmdPath}: needs a subcommand (see \`${cmdPath} --help\`)`);
  const { opts, positionals } = parseOptions(cmdPath, cmd.options, argv);
  return (await cmd.run(opts, positionals)) ?? 0;
}
