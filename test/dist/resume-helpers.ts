/** Shared by the sharded --resume tests: running the commands, a tiny chargpt, and comparing runs. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, runLaunch } from './mpi.js';
import { Generator } from '../../src/util/random.js';
import { loadCheckpoint } from '../../src/io/checkpoint.js';
import { writeShard } from '../../src/chapters/gpt2/data.js';

export const PARAM_TOL = 5e-5;
export const LOSS_TOL = 1e-5;

export function gradpath(args: string[]) {
  const env = { ...process.env };
  for (const k of ['OMPI_COMM_WORLD_SIZE', 'OMPI_COMM_WORLD_RANK', 'PMI_SIZE', 'PMI_RANK', 'PMIX_RANK']) delete env[k];
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  return r.stdout + r.stderr;
}

export async function launch(n: number, args: string[]): Promise<string> {
  const r = await runLaunch(['-n', String(n), '--', ...args], {}, 100);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return r.stderr;
}

/** A small text of repeated words. */
export function textFile(dir: string): string {
  const g = new Generator(3);
  const words = Array.from({ length: 30 }, () => Array.from({ length: 2 + g.randint(0, 6) }, () => String.fromCharCode(97 + g.randint(0, 26))).join(''));
  const out: string[] = [];
  for (let i = 0; i < 1500; i++) out.push(words[g.randint(0, words.length)] + (i % 9 === 8 ? '\n' : ' '));
  const path = join(dir, 'text.txt');
  writeFileSync(path, out.join(''));
  return path;
}

/** A tiny GPT whose lr schedule does not depend on where a run stops (--lr-decay-iters fixed). */
export const flags = (input: string) => ['chargpt', '-i', input, '--n-layer', '2', '--n-head', '2', '--n-embd', '32', '--block-size', '16', '--batch-size', '8', '--eval-every', '4', '--eval-iters', '2', '--lr', '3e-3', '--warmup-iters', '2', '--lr-decay-iters', '8', '--num-samples', '0', '--quiet'];

/** The model tensors of a single-file checkpoint. */
export function modelOf(file: string): Map<string, Float32Array> {
  return new Map(Object.entries(loadCheckpoint(file, { kind: 'chargpt' }).model).map(([k, t]) => [k, t.data as Float32Array]));
}

export function maxParamDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  let d = 0;
  for (const [k, x] of a) {
    const y = b.get(k)!;
    assert.equal(x.length, y.length, k);
    for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i]));
  }
  return d;
}

/** Every logged loss (batch and val) by `split@step`. */
export function losses(dir: string): Map<string, number> {
  const events = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  return new Map(events.filter((e) => e.split === 'batch' || e.split === 'val').map((e) => [`${e.split}@${e.step}`, e.loss as number]));
}

/** The largest difference of the losses `got` logged against the same events of the straight run. */
export function maxLossDiff(got: Map<string, number>, want: Map<string, number>, at: string[]): number {
  let d = 0;
  for (const k of at) {
    assert.ok(got.has(k) && want.has(k), `no ${k} loss logged`);
    d = Math.max(d, Math.abs(got.get(k)! - want.get(k)!));
  }
  return d;
}

/**
 * A token shard pair (train, val) in dir/data whose rows differ (each rank must read its own rows
 * of the global batch), and the flags of a tiny GPT-2 run on it (2 layers of 32, vocab 32).
 */
export function tinyGpt2Run(dir: string): string[] {
  const data = join(dir, 'data');
  mkdirSync(data);
  const stream = Uint16Array.from({ length: 2000 }, (_, i) => (i * 7 + Math.floor(i / 13)) % 32);
  writeShard(join(data, 'train_000000.bin'), stream);
  writeShard(join(data, 'val_000000.bin'), stream.subarray(0, 500));
  return ['gpt2', 'train', '--data', data, '--n-layer', '2', '--n-head', '2', '--n-embd', '32', '--block-size', '16', '--vocab-size', '32', '--batch-size', '4', '--seq-len', '16',
    '--lr', '3e-3', '--warmup-steps', '2', '--eval-every', '4', '--eval-steps', '2', '--max-new-tokens', '4', '--peak-gflops', '1', '--seed', '7'];
}

/** One process training `f` 4 steps (into dir/four, to resume from) and 8 steps straight (dir/one): its final model and losses, what a resumed run must end at. */
export function straightRuns(dir: string, f: string[]): { want: Map<string, Float32Array>; wantLoss: Map<string, number> } {
  gradpath([...f, '--max-steps', '4', '-o', join(dir, 'four')]);
  gradpath([...f, '--max-steps', '8', '-o', join(dir, 'one')]);
  return { want: modelOf(join(dir, 'one', 'latest.safetensors')), wantLoss: losses(join(dir, 'one')) };
}
