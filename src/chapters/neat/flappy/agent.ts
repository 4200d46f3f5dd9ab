import type { Genome } from '../genome.js';
import type { Network } from '../network.js';
import type { FitnessResult } from '../population.js';
import { FlappyGame } from './game.js';

/** What an agent plays: the pipe seed and the episode cap (so evaluation time is bounded). */
export interface FlappyContext {
  seed: number;
  maxPipes: number;
}

export const FLAPPY_INPUTS = ['height', 'velocity', 'pipe distance', 'gap height'];
/** Fitness bonus per pipe passed, on top of one point per frame survived. */
export const PIPE_BONUS = 100;

/** The bird's view, each scaled to about [-1, 1]; the network adds its own bias. */
export function observe(game: FlappyGame): number[] {
  const p = game.params;
  const pipe = game.nextPipe();
  return [
    game.y / p.height,
    game.vy / p.maxFallSpeed,
    (pipe.x + p.pipeWidth - (p.birdX - p.birdRadius)) / p.pipeSpacing,
    pipe.gapY / p.height,
  ];
}

/** Flap when the single output exceeds 0.5. */
export function decide(network: Network, game: FlappyGame): boolean {
  return network.activate(observe(game))[0] > 0.5;
}

/** Plays one episode until the bird dies or passes maxPipes; `onFrame` sees every frame (for --watch). */
export function playEpisode(network: Network, context: FlappyContext, onFrame?: (game: FlappyGame) => boolean | void): FlappyGame {
  const game = new FlappyGame(context.seed);
  network.reset();
  while (game.alive && game.pipesPassed < context.maxPipes) {
    game.step(decide(network, game));
    if (onFrame?.(game) === false) break;
  }
  return game;
}

/** Fitness = frames survived + a bonus per pipe; solved = the episode cap reached. */
export function flappyFitness(network: Network, _genome: Genome, context: FlappyContext): FitnessResult {
  const game = playEpisode(network, context);
  return { fitness: game.frame + PIPE_BONUS * game.pipesPassed, solved: game.pipesPassed >= context.maxPipes, pipes: game.pipesPassed };
}
