/** Physics of language models, part 3.1: knowledge storage and extraction on synthetic biographies. */
export * from './lists.js';
export * from './people.js';
export * from './templates.js';
export * from './bios.js';
export * from './vocab.js';
export * from './data.js';
export * from './model.js';
export * from './evaluate.js';
export * from './probe.js';
export * from './probing.js';
export * from './train.js';
export * from './knowledge.js';
export * from './presets.js';
export * from './report.js';
