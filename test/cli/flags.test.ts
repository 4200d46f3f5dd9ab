import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Command, OptionSpecs } from '../../src/cli/args.js';
import { commonFlags } from '../../src/cli/flags.js';
import { loadCommands } from '../../src/cli/main.js';

/** Every runnable command and subcommand, with its path (`gpt2 train`). */
async function runnable(): Promise<[string, Command<any>][]> {
  const out: [string, Command<any>][] = [];
  const walk = (path: string, cmd: Command<any>) => {
    if (cmd.run) out.push([path, cmd]);
    for (const sub of cmd.subcommands ?? []) walk(`${path} ${sub.name}`, sub);
  };
  for (const cmd of await loadCommands()) walk(cmd.name, cmd);
  return out;
}

test('the same idea has the same flag in every command: common flags keep their aliases, and no alias is a flag of its own', async () => {
  const commands = await runnable();
  assert.ok(commands.length >= 20, `found ${commands.length} commands`);
  const common = commonFlags as OptionSpecs;
  const aliasOf = new Map(Object.entries(common).flatMap(([name, spec]) => (spec.aliases ?? []).map((a) => [a, name] as const)));
  const problems: string[] = [];
  for (const [path, cmd] of commands) {
    for (const [name, spec] of Object.entries(cmd.options as OptionSpecs)) {
      if (aliasOf.has(name)) problems.push(`${path}: --${name} should be --${aliasOf.get(name)} (with --${name} as an alias)`);
      const shared = common[name];
      if (!shared) continue;
      // an output file (bpe train, gpt2 export) is not an --out-dir, but takes --output
      const expected = spec.type === 'string' && spec.path === 'out-file' ? ['output'] : shared.aliases ?? [];
      for (const a of expected) if (!spec.aliases?.includes(a)) problems.push(`${path}: --${name} lacks the alias --${a}`);
      if (spec.type !== shared.type) problems.push(`${path}: --${name} is a ${spec.type}, elsewhere a ${shared.type}`);
      if (name === 'out' && spec.short !== 'o') problems.push(`${path}: --out has no -o`);
    }
  }
  assert.deepEqual(problems, []);
});

test('every training command has --out, --resume or a fresh-run rule, --force and --json', async () => {
  const training = ['makemore', 'chargpt', 'encoder', 'grokking', 'gpt2 train', 'neat flappy'];
  const commands = new Map(await runnable());
  for (const path of training) {
    const options = commands.get(path)?.options as OptionSpecs | undefined;
    assert.ok(options, `${path} is a command`);
    for (const flag of ['out', 'force', 'json']) assert.ok(flag in options, `${path} has --${flag}`);
  }
});
