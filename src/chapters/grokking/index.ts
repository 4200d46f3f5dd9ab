/** Grokking: modular arithmetic, the papers' transformers, full-batch training, Fourier analysis. */
export * from './data.js';
export * from './model.js';
export * from './train.js';
export * from './fourier.js';
export * from './plot.js';
export * from './presets.js';
export * from './run.js';
