/**
 * The GPT-2 chapter as a library (`import { gpt2Tokenizer, GPT2, trainGPT2 } from 'gradpath/gpt2'`):
 * byte-level BPE (train, encode, decode), GPT-2's tokenizer, the model at its four sizes,
 * weights in Hugging Face and llm.c layouts, token shards, training, sampling and HellaSwag.
 */
export { Tokenizer, tokenizerFromMerges, tokenizerFromRanks, GPT2_SPLIT_PATTERN, GPT4_SPLIT_PATTERN, type AllowedSpecial } from './bpe.js';
export { trainBPE, trainedTokenizer, saveBPE, loadBPE, mergePair, type TrainedBPE } from './bpe_train.js';
export { gpt2Tokenizer, GPT2_VOCAB_SIZE, EOT, EOT_TEXT } from './gpt2_tokenizer.js';
export { GPT2, GPT2_PRESETS, gpt2Config, padVocab, countParams, flopsPerToken, estimateTrainingMemory, checkMemory, type GPT2Config } from './model.js';
export { loadGPT2, saveHF, saveLLMC, readLLMC, stateFromHF, stateToHF, resolveWeights, type WeightsFormat } from './weights.js';
export { writeShard, readShard, prepareShards, ShardLoader, safeCut, type LoaderState } from './data.js';
export { trainGPT2, evaluate, sample, type TrainOptions, type StepInfo } from './train.js';
export { readHellaSwag, scoreExample, evaluateHellaSwag, type HellaSwagExample } from './hellaswag.js';
export { saveHFTokenizer, loadHFTokenizer, tokenizerToHF, bytesToUnicode, BYTE_TO_CHAR } from './hf_tokenizer.js';
export { saveHFFolder, hfConfig } from './hf_export.js';
