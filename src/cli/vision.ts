import { defineCommand } from './args.js';
import { trainCommand } from './vision/train.js';
import { showCommand } from './vision/show.js';
import { landscapeCommand } from './vision/landscape.js';

/** `gradpath vision`: conv nets on Fashion-MNIST, what they see, and loss landscapes. */
export const command = defineCommand({
  name: 'vision',
  summary: 'How models see and how they learn: a CNN on Fashion-MNIST, its filters and features, loss landscapes',
  usage: 'gradpath vision <train|show|landscape> [options]',
  description: `An AlexNet-shaped small CNN and an MLP baseline on Fashion-MNIST; pictures of what the
network sees; the loss along the line from initial to trained weights and on a 2-D slice,
with and without skip connections. See docs/vision.md.`,
  options: {},
  subcommands: [trainCommand, showCommand, landscapeCommand],
});
