/** Shared by tp.test.ts and sp.test.ts: every rank of a rank-tp.ts job printed its line. */
import assert from 'node:assert/strict';

export function expectRanksOk(r: { code: number | null; stdout: string; stderr: string }, mode: string, ranks: number): void {
  assert.equal(r.code, 0, `the job failed:\n${r.stdout}\n${r.stderr}`);
  for (let rank = 0; rank < ranks; rank++) assert.match(r.stdout, new RegExp(`^rank ${rank}: ${mode.replace('+', '\\+')} ok on ${ranks} ranks`, 'm'), r.stdout + r.stderr);
}
