/**
 * Step timings without MPI: the recorder's sums, the batch events' compute_s / comm_s / bubble
 * from the loop, and the timeline picture drawn from synthetic spans.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StepTimeline } from '../../src/dist/timeline.js';
import { timelineSvg } from '../../src/dist/timeline-svg.js';
import { nn, optim, randn, Generator } from '../../src/index.js';
import { RunDir } from '../../src/io/rundir.js';
import { trainLoop } from '../../src/train/loop.js';

const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

test('timeline: waits add up to comm and idle; compute is the rest', async () => {
  const tl = new StepTimeline();
  tl.beginStep();
  busy(5);
  tl.waitSync('comm', 'tp all-reduce', () => busy(10));
  await tl.wait('idle', 'recv from stage 0', new Promise((r) => setTimeout(r, 15)));
  const s = tl.endStep();
  assert.equal(s.spans.length, 2);
  // lower bounds only: on a loaded machine a 10 ms busy loop can take far longer (preempted)
  assert.ok(s.comm >= 0.009 && s.comm <= s.seconds, `comm ${s.comm}`);
  assert.ok(s.idle >= 0.014 && s.idle <= s.seconds - s.comm, `idle ${s.idle}`);
  assert.ok(Math.abs(s.compute + s.comm + s.idle - s.seconds) < 1e-9);
  assert.ok(s.spans[0].start >= 0.004 && s.spans[1].start >= s.spans[0].end);
  // outside a step (evaluation, a wrapper used without the loop's timeline) nothing is kept
  tl.waitSync('comm', 'eval all-reduce', () => busy(1));
  tl.beginStep();
  assert.equal(tl.endStep().spans.length, 0);
});

test('timeline: the loop adds compute_s, comm_s and bubble to the batch events', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-timeline-'));
  try {
    const gen = new Generator(1);
    const model = new nn.Linear(4, 2, { generator: gen });
    const tl = new StepTimeline();
    let finished = 0;
    await trainLoop({
      model, optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }), maxSteps: 3, logEvery: 1, kind: 'toy', config: {}, run: new RunDir(dir),
      loss: () => {
        const y = model.forward(randn([3, 4], { generator: gen }));
        return y.mul(y).mean();
      },
      afterBackward: async () => {
        tl.waitSync('comm', 'grads', () => busy(4));
        await tl.wait('idle', 'neighbour', new Promise((r) => setTimeout(r, 6)));
      },
      timeline: { recorder: tl, finish: (last) => void (finished = last.spans.length) },
    });
    const events = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.split === 'batch');
    assert.equal(events.length, 3);
    for (const e of events) {
      assert.ok(e.comm_s >= 0.0035, `comm_s ${e.comm_s}`);
      assert.ok(e.compute_s >= 0, `compute_s ${e.compute_s}`);
      assert.ok(e.bubble > 0 && e.bubble < 1, `bubble ${e.bubble}`);
    }
    assert.equal(finished, 2, 'finish gets the last step with its two spans');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('timeline: the SVG has a row per rank, the kinds coloured, labels where they fit, text escaped', () => {
  const svg = timelineSvg([
    { rank: 0, seconds: 0.1, spans: [{ kind: 'comm', label: 'grad bucket 1', start: 0.06, end: 0.09 }] },
    { rank: 1, seconds: 0.12, spans: [{ kind: 'idle', label: 'recv <stage 0>', start: 0, end: 0.05 }, { kind: 'comm', label: 'x', start: 0.1, end: 0.1001 }] },
  ], { title: 'dp 2 & pp 2' });
  assert.match(svg, /^<svg [^>]*width="900"/);
  assert.match(svg, />rank 0</);
  assert.match(svg, />rank 1</);
  assert.match(svg, /dp 2 &amp; pp 2/);
  assert.match(svg, />grad bucket 1<\/text>/, 'a wide span is labelled');
  assert.match(svg, /recv &lt;stage 0&gt;: 50\.00 ms \(idle\)/, 'tooltips escaped');
  assert.doesNotMatch(svg, />x<\/text>/, 'a sliver is not labelled');
  for (const colour of ['#4c78a8', '#f58518', '#d0d0d0']) assert.ok(svg.includes(colour), colour);
  assert.match(svg, /communication \(exposed\)/);
  assert.equal((svg.match(/<rect/g) ?? []).length, 1 + 2 + 3 + 3, 'background, two compute rows, three spans, three legend keys');
});
