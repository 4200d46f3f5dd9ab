/**
 * The pipeline schedules without MPI: a simulation runs every stage's action list with blocking
 * transfers (a send waits for the matching receive, MPI's rendezvous case), and checks that every
 * transfer finds its partner in order (no deadlock), that each micro-batch goes forward before
 * backward on every stage, how many micro-batches a stage holds at once (1F1B: p - s, GPipe: m),
 * and, with forward costing 1 and backward 2 on every stage and free transfers, that a stage
 * idles (p - 1) / (m + p - 1) of the step: the bubble formula.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bubbleFraction, pipelineSchedule, type PipeAction, type PipelineScheduleName } from '../../src/dist/pipeline-schedule.js';
import { stageLayers } from '../../src/dist/pipeline-partition.js';

type Half = { send: boolean; peer: number; kind: 'act' | 'grad'; mb: number; done: boolean };

function halves(a: PipeAction, s: number): Half[] {
  const h = (send: boolean, peer: number, kind: 'act' | 'grad', mb: number): Half => ({ send, peer, kind, mb, done: false });
  switch (a.op) {
    case 'recvForward': return [h(false, s - 1, 'act', a.mb)];
    case 'sendForward': return [h(true, s + 1, 'act', a.mb)];
    case 'recvBackward': return [h(false, s + 1, 'grad', a.mb)];
    case 'sendBackward': return [h(true, s - 1, 'grad', a.mb)];
    case 'sendForwardRecvBackward': return [h(true, s + 1, 'act', a.send), h(false, s + 1, 'grad', a.recv)];
    case 'sendBackwardRecvForward': return [h(true, s - 1, 'grad', a.send), h(false, s - 1, 'act', a.recv)];
    default: return [];
  }
}

interface Sim { peakLive: number[]; idleFraction: number[] }

/** Runs p stages' lists; forward costs tf, backward tb; throws on a deadlock or a misordered transfer. */
function simulate(name: PipelineScheduleName, p: number, m: number, tf = 1, tb = 2): Sim {
  const lists = Array.from({ length: p }, (_, s) => pipelineSchedule(name, p, s, m));
  const at = new Array(p).fill(0); // next action of each stage
  const clock = new Array(p).fill(0);
  const busy = new Array(p).fill(0);
  const live = Array.from({ length: p }, () => new Set<number>());
  const peakLive = new Array(p).fill(0);
  const current: (Half[] | null)[] = new Array(p).fill(null);
  const fwdDone = Array.from({ length: p }, () => new Set<number>());
  for (let progress = true; progress;) {
    progress = false;
    for (let s = 0; s < p; s++) {
      // compute actions run at once
      while (at[s] < lists[s].length) {
        const a = lists[s][at[s]];
        if (a.op !== 'forward' && a.op !== 'backward') break;
        if (a.op === 'forward') {
          fwdDone[s].add(a.mb);
          live[s].add(a.mb);
          peakLive[s] = Math.max(peakLive[s], live[s].size);
        } else {
          assert.ok(fwdDone[s].has(a.mb), `${name} stage ${s}: backward of ${a.mb} before its forward`);
          live[s].delete(a.mb);
        }
        const cost = a.op === 'forward' ? tf : tb;
        clock[s] += cost;
        busy[s] += cost;
        at[s]++;
        progress = true;
      }
      if (at[s] < lists[s].length && !current[s]) current[s] = halves(lists[s][at[s]], s);
    }
    // match the transfers of the stages' current actions, pairwise
    for (let s = 0; s < p; s++) {
      for (const h of current[s] ?? []) {
        if (h.done || !h.send) continue;
        const partner = current[h.peer]?.find((o) => !o.done && !o.send && o.peer === s && o.kind === h.kind);
        if (!partner) continue;
        assert.equal(partner.mb, h.mb, `${name}: stage ${h.peer} expected ${h.kind} of micro-batch ${partner.mb} from stage ${s}, which sent ${h.mb}`);
        h.done = partner.done = true;
        const t = Math.max(clock[s], clock[h.peer]);
        clock[s] = clock[h.peer] = t;
        progress = true;
      }
    }
    for (let s = 0; s < p; s++) {
      if (current[s] && current[s]!.every((h) => h.done)) {
        current[s] = null;
        at[s]++;
        progress = true;
      }
    }
  }
  const stuck = at.map((a, s) => (a < lists[s].length ? `stage ${s} at ${JSON.stringify(lists[s][a])}` : null)).filter(Boolean);
  assert.deepEqual(stuck, [], `${name} p=${p} m=${m} deadlocked`);
  const end = Math.max(...clock);
  return { peakLive, idleFraction: busy.map((b) => 1 - b / end) };
}

test('GPipe and 1F1B: every transfer finds its partner in order, for p 1..4 and m 1..9', () => {
  for (const name of ['gpipe', '1f1b'] as const) {
    for (let p = 1; p <= 4; p++) for (let m = 1; m <= 9; m++) simulate(name, p, m);
  }
});

test('1F1B holds at most p - s micro-batches on stage s; GPipe holds all m', () => {
  for (const [p, m] of [[2, 4], [3, 8], [4, 4], [4, 3], [2, 1]]) {
    assert.deepEqual(simulate('1f1b', p, m).peakLive, Array.from({ length: p }, (_, s) => Math.min(p - s, m)), `1f1b p=${p} m=${m}`);
    assert.deepEqual(simulate('gpipe', p, m).peakLive, new Array(p).fill(m), `gpipe p=${p} m=${m}`);
  }
});

test('with equal stages and free transfers, every stage idles (p - 1) / (m + p - 1) of the step', () => {
  for (const name of ['gpipe', '1f1b'] as const) {
    for (const [p, m] of [[2, 4], [3, 6], [4, 8], [4, 2]]) {
      const { idleFraction } = simulate(name, p, m);
      for (const f of idleFraction) assert.ok(Math.abs(f - bubbleFraction(p, m)) < 1e-12, `${name} p=${p} m=${m}: idle ${f}, formula ${bubbleFraction(p, m)}`);
    }
  }
});

test('stageLayers: consecutive, balanced by count, the extra blocks on the first stages', () => {
  assert.deepEqual([0, 1, 2].map((s) => stageLayers(7, 3, s)), [[0, 3], [3, 5], [5, 7]]);
  assert.deepEqual([0, 1].map((s) => stageLayers(2, 2, s)), [[0, 1], [1, 2]]);
  assert.deepEqual(stageLayers(4, 1, 0), [0, 4]);
  assert.throws(() => stageLayers(2, 3, 0), /--pp 3 is more pipeline stages than the model's 2 layers/);
});

test('pipelineSchedule refuses a bad micro-batch count', () => {
  assert.throws(() => pipelineSchedule('1f1b', 2, 0, 0), /--micro-batches must be a positive integer/);
});
