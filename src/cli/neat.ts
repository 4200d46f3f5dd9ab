import { defineCommand } from './args.js';
import { booleanCommand, xorCommand } from './neat/boolean.js';
import { poleCommand } from './neat/pole.js';
import { flappyCommand } from './neat/flappy.js';

/** `gradpath neat`: the NEAT chapter's benchmarks and the flappy-bird game. */
export const command = defineCommand({
  name: 'neat',
  summary: 'NEAT: evolve network weights and topologies (XOR and harder boolean functions, pole balancing, a flappy-bird game)',
  usage: 'gradpath neat <xor|boolean|pole|flappy> [options]',
  description: `Neuroevolution of augmenting topologies (Stanley & Miikkulainen 2002): historical markings,
speciation and explicit fitness sharing. See docs/neat.md.`,
  options: {},
  subcommands: [xorCommand, booleanCommand, poleCommand, flappyCommand],
});
