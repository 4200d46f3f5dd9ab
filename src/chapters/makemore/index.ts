/** makemore: character-level language models, from counting bigrams to a Transformer. */
export { Vocab, CharDataset, parseItems, splitItems, embeddedNames, loadItems, NAMES_SPEC, type Split } from './data.js';
export { countBigrams, bigramProbabilities, bigramNLL, sampleBigram, bigramHeatmapSVG } from './counts.js';
export { MODEL_TYPES, TYPE_DEFAULTS, createModel, contextLength, type ModelType, type CharModel, type ModelConfig } from './models/index.js';
export { generateItems, describeSamples } from './sample.js';
export { train, evaluate, type TrainOptions, type TrainResult } from './train.js';
export { runMakemore, type MakemoreOptions, type MakemoreSummary } from './run.js';
