import type { OptionSpecs } from './args.js';
import { BACKEND_NAMES } from '../engine/device.js';

/**
 * The flags that mean the same in every command, spelled once: a command spreads the ones it
 * has (changing only the help, or a default). The aliases are the upstream spellings learners
 * bring from nanoGPT and makemore.
 */
export const commonFlags = {
  out: { type: 'string', short: 'o', aliases: ['out-dir'], path: 'out-dir', placeholder: 'DIR', help: 'Run directory' },
  lr: { type: 'float', min: 0, aliases: ['learning-rate'], placeholder: 'LR', help: 'Peak learning rate' },
  'max-steps': { type: 'int', min: 1, aliases: ['max-iters'], help: 'Training steps' },
  'eval-every': { type: 'int', min: 1, aliases: ['eval-interval'], help: 'Evaluate every N steps' },
  'max-new-tokens': { type: 'int', min: 1, aliases: ['sample-len', 'sample-tokens'], help: 'Tokens (characters) per sample' },
  resume: { type: 'boolean', help: 'Continue the run in --out from its latest checkpoint, exactly' },
  force: { type: 'boolean', help: 'Start a new run even if --out holds one, replacing it' },
  json: { type: 'boolean', help: 'Print a JSON summary as the last line of stdout' },
  backend: {
    type: 'choice', choices: [...BACKEND_NAMES],
    help: 'Kernels to run on: native (C++ on OpenBLAS; the default where built), wasm (WebAssembly SIMD; the default otherwise) or reference (plain TypeScript); wins over GRADPATH_BACKEND',
  },
} satisfies OptionSpecs;
