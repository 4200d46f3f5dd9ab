import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GradpathError } from '../util/errors.js';
import { checkBackendEnv } from '../engine/device.js';
import { closest, runCommand, type Command } from './args.js';

/** The learning path, in order. Each entry's command lives in src/cli/<module>.ts. */
export const PATH: { chapter: string; teaches: string; command: string; module: string }[] = [
  { chapter: 'micrograd', teaches: 'backpropagation on scalars: a Value engine, a tiny MLP, its graph drawn', command: 'gradpath micrograd', module: 'micrograd' },
  { chapter: 'tensor engine', teaches: 'n-d tensors, reverse-mode autograd, nn modules and optimizers, WebAssembly SIMD kernels', command: 'gradpath bench matmul', module: 'bench' },
  { chapter: 'makemore', teaches: 'character-level language models: bigram, MLP, WaveNet, RNN/GRU/LSTM, Transformer', command: 'gradpath makemore', module: 'makemore' },
  { chapter: 'transformers', teaches: 'self-attention: a char-level GPT on Shakespeare, an encoder, RoPE, GQA/MQA, MLA', command: 'gradpath chargpt', module: 'chargpt' },
  { chapter: 'GPT-2', teaches: 'byte-level BPE, the GPT-2 model, real training and finetuning', command: 'gradpath gpt2', module: 'gpt2' },
  { chapter: 'grokking', teaches: 'generalisation long after memorisation, and the Fourier algorithm learned', command: 'gradpath grokking', module: 'grokking' },
  { chapter: 'NEAT', teaches: 'neuroevolution of augmenting topologies, playing a flappy-bird game', command: 'gradpath neat', module: 'neat' },
  { chapter: 'vision', teaches: 'how conv nets see (filters, activations, features) and what loss landscapes look like', command: 'gradpath vision train', module: 'vision' },
];

/** Every top-level command and the module that defines it (some chapters have several). */
const COMMANDS: Record<string, string> = {
  micrograd: 'micrograd',
  makemore: 'makemore',
  chargpt: 'chargpt',
  encoder: 'encoder',
  gpt2: 'gpt2',
  bpe: 'bpe',
  grokking: 'grokking',
  neat: 'neat',
  physics: 'physics',
  vision: 'vision',
  bench: 'bench',
  runs: 'runs',
  lab: 'lab',
  native: 'native',
  dist: 'dist',
  launch: 'launch',
  plan: 'plan',
};

function moduleExists(module: string): boolean {
  return existsSync(fileURLToPath(new URL(`./${module}.js`, import.meta.url)));
}

async function loadCommand(name: string): Promise<Command<any> | null> {
  const module = COMMANDS[name];
  if (!module || !moduleExists(module)) return null;
  const mod = (await import(`./${module}.js`)) as { command: Command<any> };
  return mod.command;
}

/** Every top-level command, loaded (for tests that check all of them alike). */
export async function loadCommands(): Promise<Command<any>[]> {
  const cmds = await Promise.all(Object.keys(COMMANDS).map(loadCommand));
  return cmds.filter((c): c is Command<any> => c !== null);
}

export function learningPath(): string {
  const lines = ['gradpath: the AI learning path, runnable. Chapters in order:', ''];
  const w = Math.max(...PATH.map((p) => p.chapter.length));
  PATH.forEach((p, i) => {
    const ready = moduleExists(p.module);
    lines.push(`${String(i + 1).padStart(2)}. ${p.chapter.padEnd(w)}  ${p.teaches}`);
    lines.push(`    ${' '.repeat(w)}  ${ready ? `run: ${p.command}` : '(coming)'}`);
  });
  lines.push('', 'Run `gradpath <command> --help` for the flags of a command; `gradpath --help` lists the commands.');
  return lines.join('\n');
}

async function commandList(): Promise<string> {
  const lines = ['Usage: gradpath <command> [options]', '', 'Commands:'];
  for (const name of Object.keys(COMMANDS)) {
    const cmd = await loadCommand(name);
    lines.push(`  ${name.padEnd(10)} ${cmd ? cmd.summary : '(coming)'}`);
  }
  lines.push('', 'Flags that mean the same everywhere: -o/--out, --lr, --max-steps, --eval-every, --max-new-tokens, --resume, --force,',
    '--json (a summary as the last line) and --config FILE.json (flags from a file, e.g. a run\'s config.json).');
  lines.push('', 'Run `gradpath` alone for the learning path, `gradpath <command> --help` for a command\'s flags.');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  try {
    const [name, ...rest] = argv;
    if (name === undefined) {
      console.log(learningPath());
      return 0;
    }
    if (name === '--help' || name === '-h' || name === 'help') {
      console.log(await commandList());
      return 0;
    }
    if (name === '--version' || name === '-v') {
      const { readFileSync } = await import('node:fs');
      const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
      console.log(pkg.version);
      return 0;
    }
    if (!(name in COMMANDS)) {
      const near = closest(name, Object.keys(COMMANDS));
      throw new GradpathError(`gradpath: unknown command '${name}'${near ? `; did you mean ${near}?` : ''} (commands: ${Object.keys(COMMANDS).join(', ')}; see \`gradpath --help\`)`);
    }
    checkBackendEnv(); // a wrong GRADPATH_BACKEND is refused before any work (the backend starts on first use)
    const cmd = await loadCommand(name);
    if (!cmd) throw new GradpathError(`gradpath ${name}: this chapter is not built yet (coming)`);
    return await runCommand(`gradpath ${name}`, cmd, rest);
  } catch (err) {
    if (err instanceof GradpathError) {
      console.error(err.message.replace(/\s*\n\s*/g, ' ')); // one line, even when a message quotes a file
      return 2;
    }
    const line = describeFileError(err, argv[0]);
    if (line) {
      console.error(line);
      return 1;
    }
    throw err;
  }
}

const FILE_PROBLEMS: Record<string, string> = {
  EACCES: 'permission denied', EPERM: 'not permitted', EEXIST: 'a file is in the way', ENOTDIR: 'a file is in the way where a folder is needed',
  EISDIR: 'is a directory', ENOENT: 'no such file or directory', EROFS: 'read-only file system', ENOSPC: 'no space left on the device', EDQUOT: 'disk quota exceeded',
};

/**
 * The file system's errors are the user's to fix (a path, a permission, a full disk), whichever
 * command meets them: one line naming the path and the problem, not a stack trace.
 */
export function describeFileError(err: unknown, command: string | undefined): string | null {
  const e = err as NodeJS.ErrnoException;
  if (!e || typeof e !== 'object' || typeof e.code !== 'string' || !(e.code in FILE_PROBLEMS) || typeof e.syscall !== 'string') return null;
  const where = e.path ? ` ${e.path}` : '';
  return `gradpath${command ? ` ${command}` : ''}: cannot ${e.syscall}${where}: ${FILE_PROBLEMS[e.code]} (${e.code}); check the path and its permissions`;
}
