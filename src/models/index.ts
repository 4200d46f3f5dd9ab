/** Models shared by several chapters. */
export { GPT, Block, MLP, restrictTopK, validateGPTConfig, type GPTConfig } from './gpt.js';
