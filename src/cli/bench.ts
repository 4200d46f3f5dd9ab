import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineCommand, type Command } from './args.js';

/**
 * `gradpath bench <name>`: every file in cli/bench/ defines one benchmark subcommand, so a
 * chapter adds its benchmark by adding a file there.
 */
async function loadBenchmarks(): Promise<Command<any>[]> {
  const dir = fileURLToPath(new URL('./bench/', import.meta.url));
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir).filter((f) => f.endsWith('.js')).sort();
  const cmds: Command<any>[] = [];
  for (const f of files) {
    const mod = (await import(`./bench/${f}`)) as { command?: Command<any> };
    if (mod.command) cmds.push(mod.command);
  }
  return cmds;
}

export const command = defineCommand({
  name: 'bench',
  summary: 'Benchmarks: speed of the engine and of each chapter, with ratios against a reference measured in the same run',
  usage: 'gradpath bench <benchmark> [--json]',
  options: {},
  subcommands: await loadBenchmarks(),
});
