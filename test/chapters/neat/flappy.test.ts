import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlappyGame } from '../../../src/chapters/neat/flappy/game.js';
import { flappyFitness, observe, PIPE_BONUS } from '../../../src/chapters/neat/flappy/agent.js';
import { renderFrame } from '../../../src/chapters/neat/flappy/render.js';
import type { Network } from '../../../src/chapters/neat/network.js';

test('flappy physics on a scripted flap sequence matches hand-computed positions', () => {
  const game = new FlappyGame(1); // y starts at 200 (mid-height), vy 0; gravity 0.5, flap sets vy = -7
  const script = [false, true, false, false];
  const expected: [number, number][] = [[200.5, 0.5], [194, -6.5], [188, -6], [182.5, -5.5]];
  script.forEach((flap, i) => {
    assert.equal(game.step(flap), true);
    assert.deepEqual([game.y, game.vy], expected[i], `frame ${i + 1}`);
  });
  assert.equal(game.frame, 4);
});

test('falling speed is capped and the ground kills', () => {
  const game = new FlappyGame(1);
  let frames = 0;
  while (game.step(false)) frames++;
  // 20 frames to reach the cap of 10 (y = 200 + 0.5 * (1 + ... + 20) = 305), then 10 px a frame:
  // frame 29 puts the bird at 395, and 395 + 12 > 400.
  assert.equal(game.vy, 10);
  assert.equal(game.frame, 29);
  assert.equal(frames, 28);
  assert.equal(game.y, 395);
  assert.equal(game.step(true), false, 'a dead bird stays dead');
});

test('pipes scroll at constant speed, are counted once passed, and follow the seed', () => {
  // A gap as tall as the world: only the pipe bookkeeping is under test.
  const game = new FlappyGame(3, { gapHeight: 400, gapMargin: 0 });
  const firstX = game.pipes[0].x;
  game.step(false);
  assert.equal(game.pipes[0].x, firstX - 3);
  while (game.pipesPassed === 0) game.step(game.y > 250);
  // Passed when the right edge (x + 52) is left of the bird's left edge (60 - 12): 300 - 3n + 52 < 48.
  assert.equal(game.frame, 102);
  const gaps = (seed: number) => new FlappyGame(seed).pipes.map((p) => p.gapY);
  assert.deepEqual(gaps(5), gaps(5));
  assert.notDeepEqual(gaps(5), gaps(6));
  assert.deepEqual(new FlappyGame(5).pipes.map((p) => p.x).slice(0, 2), [300, 520]);
});

test('agent inputs are normalised and fitness counts frames plus a bonus per pipe', () => {
  const game = new FlappyGame(2);
  const [h, v, d, gap] = observe(game);
  assert.equal(h, 0.5);
  assert.equal(v, 0);
  assert.ok(d > 0 && d < 2 && gap > 0 && gap < 1);
  const never: Network = { activate: () => [0], reset: () => {} };
  const r = flappyFitness(never, { inputs: 4, outputs: 1, nodes: [], connections: [] }, { seed: 2, maxPipes: 10 });
  assert.deepEqual(r, { fitness: 29, solved: false, pipes: 0 });
  assert.ok(PIPE_BONUS > 0);
  assert.ok(renderFrame(game).includes('@'));
});
