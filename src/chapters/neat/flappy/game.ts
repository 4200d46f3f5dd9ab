import { Generator } from '../../../util/random.js';

/**
 * A headless, deterministic flappy-bird game. Units are pixels and frames. Nothing here knows
 * about networks: a human front end (or an agent) calls step(flap) once per frame.
 */
export interface FlappyParams {
  width: number;
  height: number;
  birdX: number;
  /** The bird is a square of side 2 * birdRadius. */
  birdRadius: number;
  /** Added to the vertical speed every frame (y grows downwards). */
  gravity: number;
  /** A flap sets the vertical speed to this (an impulse upwards). */
  flapVelocity: number;
  /** Falling speed is capped here. */
  maxFallSpeed: number;
  scrollSpeed: number;
  pipeWidth: number;
  /** Distance between the left edges of consecutive pipes. */
  pipeSpacing: number;
  gapHeight: number;
  /** Gaps keep at least this far from the ceiling and the ground. */
  gapMargin: number;
  firstPipeX: number;
}

export const DEFAULT_FLAPPY: FlappyParams = {
  width: 288,
  height: 400,
  birdX: 60,
  birdRadius: 12,
  gravity: 0.5,
  flapVelocity: -7,
  maxFallSpeed: 10,
  scrollSpeed: 3,
  pipeWidth: 52,
  pipeSpacing: 220,
  gapHeight: 140,
  gapMargin: 40,
  firstPipeX: 300,
};

export interface Pipe {
  /** Left edge. */
  x: number;
  /** Centre of the gap. */
  gapY: number;
  passed: boolean;
}

export class FlappyGame {
  readonly params: FlappyParams;
  y: number;
  vy = 0;
  frame = 0;
  pipesPassed = 0;
  alive = true;
  pipes: Pipe[] = [];
  private readonly rng: Generator;

  /** The same seed always gives the same pipe sequence. */
  constructor(seed: number, params: Partial<FlappyParams> = {}) {
    this.params = { ...DEFAULT_FLAPPY, ...params };
    this.rng = new Generator(seed);
    this.y = this.params.height / 2;
    this.pipes.push(this.newPipe(this.params.firstPipeX));
    this.fillPipes();
  }

  private newPipe(x: number): Pipe {
    const { height, gapHeight, gapMargin } = this.params;
    const lo = gapMargin + gapHeight / 2;
    const hi = height - gapMargin - gapHeight / 2;
    return { x, gapY: lo + (hi - lo) * this.rng.random(), passed: false };
  }

  private fillPipes(): void {
    while (this.pipes[this.pipes.length - 1].x < this.params.width + this.params.pipeSpacing) {
      this.pipes.push(this.newPipe(this.pipes[this.pipes.length - 1].x + this.params.pipeSpacing));
    }
  }

  /** The first pipe whose right edge is not yet behind the bird's left edge. */
  nextPipe(): Pipe {
    const left = this.params.birdX - this.params.birdRadius;
    return this.pipes.find((p) => p.x + this.params.pipeWidth >= left)!;
  }

  /**
   * One frame: a flap sets the vertical speed, gravity adds to it (capped when falling), the bird
   * moves, the pipes scroll; then collisions and passed pipes are counted. Returns `alive`.
   */
  step(flap: boolean): boolean {
    if (!this.alive) return false;
    const p = this.params;
    if (flap) this.vy = p.flapVelocity;
    this.vy = Math.min(this.vy + p.gravity, p.maxFallSpeed);
    this.y += this.vy;
    for (const pipe of this.pipes) pipe.x -= p.scrollSpeed;
    this.frame++;
    const left = p.birdX - p.birdRadius;
    const right = p.birdX + p.birdRadius;
    for (const pipe of this.pipes) {
      if (!pipe.passed && pipe.x + p.pipeWidth < left) {
        pipe.passed = true;
        this.pipesPassed++;
      }
    }
    if (this.y - p.birdRadius < 0 || this.y + p.birdRadius > p.height) this.alive = false;
    for (const pipe of this.pipes) {
      const overlapsX = right > pipe.x && left < pipe.x + p.pipeWidth;
      const inGap = this.y - p.birdRadius >= pipe.gapY - p.gapHeight / 2 && this.y + p.birdRadius <= pipe.gapY + p.gapHeight / 2;
      if (overlapsX && !inGap) this.alive = false;
    }
    // Forget pipes that scrolled off; keep the world filled ahead.
    while (this.pipes.length && this.pipes[0].x + p.pipeWidth < 0) this.pipes.shift();
    this.fillPipes();
    return this.alive;
  }
}
