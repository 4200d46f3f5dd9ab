/**
 * Two "machines" in network namespaces joined by a veth pair (scripts/netns-pair.sh): one rank in
 * each, TCP over the veth only, mpirun's rsh agent replaced by a script that runs the command in
 * the host's namespace. A 2-rank all-reduce is exact and each rank sees its own address; a short
 * `chargpt --dp 2` logs the same losses as one process (within ddp's tolerance, 1e-5); nothing is
 * left behind (namespaces, veth, processes) whether the job ends or is killed.
 * Skipped, with the reason, without root, iproute2, a working `ip netns add` or MPI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mpiSkip, runProcess, script } from './mpi.js';
import { flags, gradpath, losses, maxLossDiff, textFile } from './resume-helpers.js';

const PAIR = fileURLToPath(new URL('../../../scripts/netns-pair.sh', import.meta.url));

function netnsSkip(): string | false {
  if (process.platform !== 'linux') return 'network namespaces are Linux only';
  if (process.getuid?.() !== 0) return 'needs root for ip netns add';
  if (spawnSync('ip', ['-V']).error) return 'ip (iproute2) not found';
  const probe = `gpprobe${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (add.status !== 0) return `ip netns add does not work here (${add.stderr.trim() || `exit ${add.status}`}): the container lacks CAP_SYS_ADMIN or a writable /run/netns`;
  spawnSync('ip', ['netns', 'del', probe]);
  return mpiSkip();
}

const skip = netnsSkip();
if (skip) console.log(`# skipping the two-namespace tests: ${skip}`);

/** Runs netns-pair.sh with its namespaces named by `tag`; SIGTERM after limitSeconds (its trap cleans up). */
async function pair(tag: string, args: string[], limitSeconds = 90): Promise<{ code: number | null; out: string }> {
  const r = await runProcess(PAIR, args, { GRADPATH_NETNS_TAG: tag }, limitSeconds, 'SIGTERM');
  return { code: r.code, out: r.stdout + r.stderr };
}

/** What the tag's run left: namespaces and veth ends (none, after every exit). */
function leftovers(tag: string): string[] {
  const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(tag));
  const links = spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(`gpv${tag}`));
  return [...ns, ...links];
}

/** Removes what a run killed with SIGKILL (its trap never ran) left. */
function removeLeftovers(tag: string): void {
  for (const ns of [`gpA${tag}`, `gpB${tag}`]) {
    const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).map(Number);
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

test('two namespaces: a 2-rank all-reduce over the veth is exact, one rank per "machine"; cleaned up after', { skip, timeout: 120_000 }, async () => {
  const tag = `t${process.pid}`;
  try {
    const r = await pair(tag, [script('rank-netns.js')]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /netns rank 0 of 2: addresses 10\.231\.0\.1; all-reduce of 1048577 floats: 0 wrong/);
    assert.match(r.out, /netns rank 1 of 2: addresses 10\.231\.0\.2; all-reduce of 1048577 floats: 0 wrong/);
    assert.deepEqual(leftovers(tag), []);
  } finally {
    removeLeftovers(tag);
  }
});

test('two namespaces: chargpt --dp 2 logs the losses of one process; a job ended by SIGTERM leaves nothing', { skip, timeout: 180_000 }, async () => {
  const tag = `d${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'gp-netns-'));
  try {
    const f = flags(textFile(dir));
    gradpath([...f, '--max-steps', '4', '-o', join(dir, 'one')]);
    const r = await pair(tag, [...f, '--max-steps', '4', '-o', join(dir, 'dp'), '--dp', '2']);
    assert.equal(r.code, 0, r.out);
    const d = maxLossDiff(losses(join(dir, 'dp')), losses(join(dir, 'one')), ['batch@4', 'val@4']);
    console.log(`# DDP between two namespaces vs one process: max |loss diff| ${d.toExponential(2)}`);
    assert.ok(d < 1e-5, `losses differ by ${d}`);
    assert.deepEqual(leftovers(tag), []);

    // ended from outside while the ranks run: the script's trap still removes everything
    const running = pair(tag, [...f, '--max-steps', '100000', '-o', join(dir, 'long'), '--dp', '2'], 8);
    const ended = await running;
    assert.notEqual(ended.code, 0);
    assert.deepEqual(leftovers(tag), [], 'namespaces or veth left after SIGTERM');
  } finally {
    removeLeftovers(tag);
    rmSync(dir, { recursive: true, force: true });
  }
});
