import '../shims/process.js';
import doc from '../../../docs/physics.md?raw';
import { docPage } from '../ui/doc-page.js';

docPage({
  page: 'physics', docName: 'physics.md', doc,
  title: 'The physics of language models: knowledge storage and extraction',
  intro: 'Controlled experiments on synthetic biographies: when can a language model that memorised a fact also answer a question about it?',
  notHere: 'Each variant pretrains and finetunes a GPT for many minutes on a CPU, six variants in all; the results below are the chapter\'s measured runs.',
  command: 'gradpath physics knowledge --preset quick   # the whole pipeline in about a minute (40 people, tiny GPT)',
  sections: [/^## The question/, /^## Commands/, /^## Results/],
});
