/**
 * A failing rank ends the whole job quickly, every rank, with one line naming the rank and what
 * failed, and leaves no process behind: killed, throwing, exiting non-zero, and a collective that
 * hangs past the timeout (2 s here).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, mpiSkip, runLaunch, script } from './mpi.js';

const skip = mpiSkip();
if (skip) console.log(`# skipping the MPI fault tests: ${skip}`);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function faultJob(fault: string, expected: RegExp): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gradpath-fault-'));
  try {
    const r = await runLaunch(['-n', '2', '--comm-timeout', '2', '--', script('rank-faults.js')], { GRADPATH_TEST_FAULT: fault, GRADPATH_TEST_PIDS: dir }, 60);
    const out = r.stdout + r.stderr;
    assert.notEqual(r.code, 0, out);
    assert.ok(r.seconds < 45, `the job took ${r.seconds.toFixed(1)} s to end:\n${out}`);
    assert.match(out, expected);
    assert.doesNotMatch(out, /-{20}/, `mpirun's report should be summed up in one line:\n${out}`);
    const pids = readdirSync(dir).map((f) => Number(readFileSync(join(dir, f), 'utf8')));
    assert.equal(pids.length, 2, 'both ranks started');
    for (let i = 0; i < 50 && pids.some(alive); i++) await new Promise((res) => setTimeout(res, 100));
    assert.deepEqual(pids.filter(alive), [], 'no rank is left running');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a killed rank ends the job with one line naming it', { skip, timeout: 90_000 }, async () => {
  await faultJob('kill', /gradpath launch: rank 1 \((pid \d+ )?on \S+\) was killed by signal 9 \(Killed\); every rank was ended/);
});

test('a rank that throws ends the job with one line naming it and the error', { skip, timeout: 90_000 }, async () => {
  await faultJob('throw', /gradpath: rank 1 of 2: failed: Error: deliberate failure in the fault test \(at .*rank-faults\.js:\d+:\d+\); ending the job/);
});

test('a rank that exits non-zero ends the job', { skip, timeout: 90_000 }, async () => {
  await faultJob('exit', /gradpath: rank 1 of 2: exited with code 3; ending the job/);
});

test('a hung collective times out (--comm-timeout) and ends the job', { skip, timeout: 90_000 }, async () => {
  await faultJob('hang', /gradpath: rank 0 of 2: allReduce of 10 floats on the world communicator did not complete within 2 s \(--comm-timeout\); ending the job/);
});

test('Ctrl-C on gradpath launch ends every rank with one line', { skip, timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradpath-fault-'));
  try {
    const env = { ...process.env, GRADPATH_TEST_FAULT: 'hang', GRADPATH_TEST_PIDS: dir };
    const child = spawn(process.execPath, [BIN, 'launch', '-n', '2', '--', script('rank-faults.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    // Both ranks up (each writes its pid after MPI is initialised), then Ctrl-C.
    for (let i = 0; i < 600 && readdirSync(dir).length < 2; i++) await new Promise((res) => setTimeout(res, 100));
    child.kill('SIGINT');
    assert.equal(await closed, 130, out);
    assert.match(out, /gradpath launch: interrupted \(SIGINT\); every rank was ended/);
    const pids = readdirSync(dir).map((f) => Number(readFileSync(join(dir, f), 'utf8')));
    for (let i = 0; i < 50 && pids.some(alive); i++) await new Promise((res) => setTimeout(res, 100));
    assert.deepEqual(pids.filter(alive), [], 'no rank is left running');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
